using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sysprint.App.Profiles;
using Sysprint.Engine;
using Sysprint.Mapping;
using Sysprint.Model;
using Sysprint.Storage;

namespace Sysprint.Cli.Commands;

/// <summary><c>sysprint show</c>: the fingerprint as the paper's per-syscall arrays.</summary>
internal static class ShowCommand
{
    public static Command Create(CliContext context)
    {
        var db = CommonOptions.Db();
        var profile = CommonOptions.Profile();
        var format = new Option<string>("--format") { Description = "Output shape", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json", "dot");
        var command = new Command("show", "Print a profile's fingerprint: for each call, the calls that may follow it") { db, profile, format };
        command.SetAction(result =>
        {
            StoreAddress address = StoreLocator.Resolve(result.GetValue(db), context);
            using IFingerprintStore store = StoreLocator.Open(address, create: false, context);
            SyscallTable table = StoreLocator.Mapping(store, null, null);
            var (info, fingerprint) = ProfileService.Show(store, result.GetValue(profile)!);
            switch (result.GetValue(format))
            {
                case "json":
                    WriteJson(context.Out, info, fingerprint, table);
                    break;
                case "dot":
                    WriteDot(context.Out, info, fingerprint, table);
                    break;
                default:
                    WriteText(context.Out, info, fingerprint, table);
                    break;
            }

            return 0;
        });
        return command;
    }

    private static void WriteText(TextWriter output, ProfileInfo info, Fingerprint fingerprint, SyscallTable table)
    {
        output.WriteLine($"# profile '{info.Name}': window {info.Window}, {fingerprint.KnownCallCount} calls, {fingerprint.TransitionCount} transitions");
        foreach (var (call, next) in fingerprint.Successors())
        {
            string followers = next.Count == 0 ? "(nothing: last call of its thread)" : string.Join(", ", next.Select(table.NameOf));
            output.WriteLine($"{CheckReport.Call(call, table)} → {followers}");
        }

        if (info.Window > 2)
        {
            output.WriteLine($"# windows of up to {info.Window} calls:");
            foreach (int[] gram in fingerprint.Grams())
            {
                if (gram.Length > 2)
                {
                    output.WriteLine(string.Join(" → ", gram.Select(table.NameOf)));
                }
            }
        }
    }

    private static void WriteJson(TextWriter output, ProfileInfo info, Fingerprint fingerprint, SyscallTable table)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("profile", info.Name);
            json.WriteNumber("window", info.Window);
            json.WriteNumber("calls", fingerprint.KnownCallCount);
            json.WriteNumber("transitions", fingerprint.TransitionCount);
            json.WriteStartArray("fingerprint");
            foreach (var (call, next) in fingerprint.Successors())
            {
                json.WriteStartObject();
                json.WriteString("name", table.NameOf(call));
                json.WriteNumber("nr", call);
                json.WriteStartArray("next");
                foreach (int n in next)
                {
                    json.WriteStartObject();
                    json.WriteString("name", table.NameOf(n));
                    json.WriteNumber("nr", n);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (info.Window > 2)
            {
                json.WriteStartArray("windows");
                foreach (int[] gram in fingerprint.Grams())
                {
                    if (gram.Length > 2)
                    {
                        json.WriteStartArray();
                        foreach (int nr in gram)
                        {
                            json.WriteNumberValue(nr);
                        }

                        json.WriteEndArray();
                    }
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static void WriteDot(TextWriter output, ProfileInfo info, Fingerprint fingerprint, SyscallTable table)
    {
        output.WriteLine($"digraph \"{info.Name}\" {{");
        output.WriteLine("  node [shape=box, fontname=monospace];");
        foreach (var (call, next) in fingerprint.Successors())
        {
            output.WriteLine($"  \"{table.NameOf(call)}\";");
            foreach (int n in next)
            {
                output.WriteLine($"  \"{table.NameOf(call)}\" -> \"{table.NameOf(n)}\";");
            }
        }

        output.WriteLine("}");
    }
}
