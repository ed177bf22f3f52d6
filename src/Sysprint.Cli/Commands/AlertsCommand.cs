using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
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
        var host = new Option<string?>("--host") { Description = "Only this host's alerts (a fleet's PostgreSQL store)", HelpName = "NAME" };
        var command = new Command("alerts", "List the anomalous sessions recorded by check (or, on a fleet's PostgreSQL store, every host's alerts), newest first")
        {
            db, limit, json, host,
        };
        command.SetAction(result =>
        {
            if (FleetStoreLocator.IsFleet(result.GetValue(db), context))
            {
                return ListFleetAsync(result.GetValue(db), result.GetValue(host), result.GetValue(limit), result.GetValue(json), context).GetAwaiter().GetResult();
            }

            if (result.GetValue(host) is not null)
            {
                throw new SysprintException(ExitCodes.Usage, "--host filters a fleet's alerts: it needs --db postgres://... (the store sysprint serve uses)");
            }

            StoreAddress address = StoreLocator.Resolve(result.GetValue(db), context);
            using IFingerprintStore store = StoreLocator.Open(address, create: false, context);
            IReadOnlyList<AlertRecord> alerts = store.ListAlerts(result.GetValue(limit));
            if (alerts.Count == 0 && !result.GetValue(json))
            {
                context.Out.WriteLine("no alerts");
                return 0;
            }

            foreach (AlertRecord a in alerts)
            {
                if (result.GetValue(json))
                {
                    context.Out.WriteLine(ToJson(a));
                }
                else
                {
                    context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"#{a.Id}  {a.Time:yyyy-MM-dd HH:mm:ss}Z  vm {Printable.Escape(a.Vm ?? "-")}  log {Printable.Escape(a.Log)}  profile '{a.Profile}'  {Printable.Escape(a.Summary)}"));
                }
            }

            return 0;
        });
        return command;
    }

    /// <summary>Every host's alerts from the fleet's store: JSON members as <c>GET /api/alerts</c> (<see cref="FleetJson.WriteAlert"/>).</summary>
    private static async Task<int> ListFleetAsync(string? db, string? host, int limit, bool json, CliContext context)
    {
        await using Storage.Postgres.PostgresFleetStore store = FleetStoreLocator.Open(db, "alerts", context);
        IReadOnlyList<FleetAlert> alerts = await store.ListAlertsAsync(new FleetAlertQuery { Host = host, Limit = limit }, CancellationToken.None)
            .ConfigureAwait(false);
        if (alerts.Count == 0 && !json)
        {
            context.Out.WriteLine(host is null ? "no alerts" : $"no alerts from host '{Printable.Escape(host)}'");
            return 0;
        }

        foreach (FleetAlert a in alerts)
        {
            context.Out.WriteLine(json
                ? FleetJson.ToText(w => FleetJson.WriteAlert(w, a))
                : string.Create(CultureInfo.InvariantCulture,
                    $"{a.Uuid}  {a.Time:yyyy-MM-dd HH:mm:ss}Z  host {Printable.Escape(a.Host)}  vm {Printable.Escape(a.Vm ?? "-")}  {a.Priority}  {Printable.Escape(a.Output)}"));
        }

        return 0;
    }

    private static string ToJson(AlertRecord a)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteNumber("id", a.Id);
            json.WriteString("time", a.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            if (a.Vm is null)
            {
                json.WriteNull("vm");
            }
            else
            {
                json.WriteString("vm", a.Vm);
            }

            json.WriteString("log", a.Log);
            json.WriteString("profile", a.Profile);
            json.WriteNumber("mismatches", a.Mismatches);
            json.WriteString("summary", a.Summary);
            json.WritePropertyName("details");
            json.WriteRawValue(a.DetailsJson);
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
