using System.CommandLine;
using System.Globalization;
using Sysprint.Storage;

namespace Sysprint.Cli.Commands;

/// <summary><c>sysprint stats</c>: what the store holds.</summary>
internal static class StatsCommand
{
    public static Command Create(CliContext context)
    {
        var db = CommonOptions.Db();
        var command = new Command("stats", "Profiles, fingerprint sizes, logs learnt, checks and alerts") { db };
        command.SetAction(result =>
        {
            StoreAddress address = StoreLocator.Resolve(result.GetValue(db), context);
            using IFingerprintStore store = StoreLocator.Open(address, create: false, context);
            StoreStats stats = store.GetStats();
            TextWriter o = context.Out;
            o.WriteLine($"store    {address} (schema {stats.SchemaVersion})");
            o.WriteLine($"mapping  {stats.MappingSource}: {stats.MappingNames} names, {stats.LearntNames} learnt");
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"checks   {stats.Checks:N0} ({stats.AnomalousChecks:N0} anomalous), alerts {stats.Alerts:N0}"));
            o.WriteLine($"profiles {stats.Profiles.Count}");
            foreach (ProfileStats p in stats.Profiles)
            {
                string last = p.LastLearnt is { } t ? t.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "never";
                o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {p.Name,-16} window {p.Window}  {p.Grams,8:N0} entries  {p.Logs,6:N0} logs  {p.Syscalls,12:N0} syscalls  detector {p.Detector} (threshold {p.Threshold})  last learnt {last}"));
            }

            return 0;
        });
        return command;
    }
}
