using System.CommandLine;
using System.Globalization;
using Sysprint.App.Alerts;
using Sysprint.Diagnostics;
using Sysprint.Fleet;
using Sysprint.Storage;

namespace Sysprint.Cli.Commands;

/// <summary><c>sysprint alerts</c>: the anomalous sessions recorded, newest first.</summary>
internal static class AlertsCommand
{
    public static Command Create(CliContext context)
    {
        var db = CommonOptions.Db();
        var limit = new Option<int>("--limit") { Description = "How many alerts", DefaultValueFactory = _ => 50, HelpName = "N" };
        limit.Validators.Add(r =>
        {
            if (CommonOptions.TryValue(r, out int n) && n < 1)
            {
                r.AddError("--limit must be at least 1");
            }
        });
        var json = new Option<bool>("--json") { Description = "One JSON object per alert" };
        var host = new Option<string?>("--host") { Description = "Only this host's alerts", HelpName = "NAME" };
        var vm = new Option<string?>("--vm") { Description = "Only alerts about this VM's logs", HelpName = "NAME" };
        var profile = new Option<string?>("--profile") { Description = "Only alerts checked against this profile", HelpName = "NAME" };
        var since = new Option<string?>("--since")
        {
            Description = "Only alerts at or after TIME: an ISO-8601 time (2026-11-26T01:00:00Z, 2026-11-26) or an age (30m, 24h, 7d)",
            HelpName = "TIME",
        };
        var command = new Command("alerts",
            "List every alert, from check, run, attach and watch (on a fleet's PostgreSQL store, every host's too), newest first")
        {
            db, limit, json, host, vm, profile, since,
        };
        command.SetAction(result =>
        {
            var query = new AlertQuery
            {
                Host = result.GetValue(host),
                Vm = result.GetValue(vm),
                Profile = result.GetValue(profile),
                Since = result.GetValue(since) is { } text ? ParseSince(text, DateTimeOffset.UtcNow) : null,
                Limit = result.GetValue(limit),
            };
            StoreAddress address = StoreLocator.Resolve(result.GetValue(db), context);
            using IFingerprintStore store = StoreLocator.Open(address, create: false, context);
            IReadOnlyList<ListedAlert> alerts = AlertService.List(store, query, DateTimeOffset.UtcNow);
            bool fleet = StoreLocator.LocalFiles(address).Count == 0;
            if (alerts.Count == 0 && !result.GetValue(json))
            {
                context.Out.WriteLine("no alerts");
                return 0;
            }

            foreach ((AlertEntry a, FleetSeen?[]? seen) in alerts)
            {
                if (result.GetValue(json))
                {
                    context.Out.WriteLine(AlertJson.ToJson(a, seen));
                }
                else
                {
                    // A check's line as it always was; the other sources say what raised them, and
                    // a fleet's history (many hosts in one store) which host.
                    string source = a.Source == AlertSources.Check ? "" : a.Source + "  ";
                    if (fleet && a.Host is not null)
                    {
                        source = $"host {Printable.Escape(a.Host)}  " + source;
                    }

                    string profileText = a.Profile is null ? "" : $"  profile '{a.Profile}'";
                    context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"#{a.Seq}  {a.Time:yyyy-MM-dd HH:mm:ss}Z  {source}vm {Printable.Escape(a.Vm ?? "-")}  log {Printable.Escape(a.Log ?? "-")}{profileText}  {Printable.Escape(a.Summary)}{SeenText(seen)}"));
                }
            }

            return 0;
        });
        return command;
    }

    /// <summary>"  seen on N of M hosts in 7 days" (for several mismatches, "seen on 1, 3 and 190 of 212 hosts"), or nothing.</summary>
    internal static string SeenText(FleetSeen?[]? seen)
    {
        if (seen is null)
        {
            return "";
        }

        var counts = seen.Where(s => s is not null).Select(s => s!.Value).ToList();
        if (counts.Count == 0)
        {
            return "";
        }

        const int Shown = 5;
        string hosts = string.Join(", ", counts.Take(Shown).Select(c => c.Hosts.ToString(CultureInfo.InvariantCulture)));
        if (counts.Count > Shown)
        {
            hosts += ", ...";
        }

        return string.Create(CultureInfo.InvariantCulture, $"  seen on {hosts} of {counts[0].Of} host{(counts[0].Of == 1 ? "" : "s")} in {FleetSeen.PeriodDays} days");
    }

    /// <summary>An ISO-8601 time (UTC unless it says otherwise) or an age before <paramref name="now"/>: <c>30m</c>, <c>24h</c>, <c>7d</c>, <c>90s</c>.</summary>
    /// <exception cref="SysprintException">Neither (64), naming the value and the forms accepted.</exception>
    internal static DateTimeOffset ParseSince(string text, DateTimeOffset now)
    {
        string trimmed = text.Trim();
        if (trimmed.Length >= 2 && "smhd".Contains(trimmed[^1], StringComparison.Ordinal)
            && long.TryParse(trimmed.AsSpan(0, trimmed.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out long amount) && amount <= 100_000)
        {
            TimeSpan age = trimmed[^1] switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                _ => TimeSpan.FromDays(amount),
            };
            return now - age;
        }

        if (DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset time)
            && trimmed.Length >= 10 && char.IsAsciiDigit(trimmed[0]))
        {
            return time;
        }

        throw new SysprintException(ErrorKind.Usage,
            $"--since: expected a time (2026-11-26T01:00:00Z, 2026-11-26) or an age (30m, 24h, 7d), found '{Printable.Escape(text)}'");
    }
}
