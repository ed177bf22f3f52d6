using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sysprint.Diagnostics;
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
        var command = new Command("alerts", "List the anomalous sessions recorded by check, newest first") { db, limit, json };
        command.SetAction(result =>
        {
            string dbPath = StoreLocator.Resolve(result.GetValue(db), context);
            using IFingerprintStore store = StoreLocator.Open(dbPath, create: false, context);
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
