using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Sysprint.Engine;
using Sysprint.Mapping;
using Sysprint.Model;

namespace Sysprint.Agent.Alerts;

/// <summary>Builds sysprint's alerts: a mismatching window in a log, or the agent's own trouble.</summary>
public sealed class AlertFactory
{
    /// <summary>The rule of a window the fingerprint does not hold.</summary>
    public const string MismatchRule = "Unknown system-call transition";

    /// <summary>The rule of a log the agent could not read (Falco reports its own drops this way).</summary>
    public const string UnreadableRule = "Sysprint could not check a log";

    /// <summary>The rule of a profile changed in the store that the agent cannot use (its seal fails, it was deleted): the old fingerprint stays.</summary>
    public const string FingerprintKeptRule = "Sysprint kept a fingerprint: its change in the store cannot be used";

    /// <summary>The rule of a VM whose logs stopped growing while a log of it has not reached its end (<c>silent_vm_after_s</c>).</summary>
    public const string SilentVmRule = "Sysprint saw a VM's logs stop while its program runs";

    /// <summary>The rule of a log that became shorter, or was rewritten from its start, with no rotation's copy of it kept.</summary>
    public const string LogShrankRule = "Sysprint saw a log shrink or restart without a rotation";

    /// <summary>The rule of lines skipped as malformed.</summary>
    public const string SkippedRule = "Sysprint skipped log lines";

    private static readonly string[] s_mismatchTags = ["sysprint", "host", "syscall", "anomalous_session"];
    private static readonly string[] s_internalTags = ["sysprint", "internal"];

    public AlertFactory(string hostname, AlertPriority priority = AlertPriority.Critical)
    {
        ArgumentNullException.ThrowIfNull(hostname);
        Hostname = hostname;
        Priority = priority;
    }

    public string Hostname { get; }

    /// <summary>The priority of mismatch alerts.</summary>
    public AlertPriority Priority { get; }

    /// <summary>The alert for a mismatching window (its first occurrence in the log).</summary>
    public Alert Mismatch(AlertSubject subject, Mismatch mismatch, SyscallTable table, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(mismatch);
        ArgumentNullException.ThrowIfNull(table);
        string? prev = mismatch.Previous is { } p ? table.NameOf(p) : null;
        string next = table.NameOf(mismatch.Next);
        string window = string.Join(' ', mismatch.Gram.Select(table.NameOf));
        var fields = new List<KeyValuePair<string, object?>>
        {
            new(AlertFields.LogName, subject.LogName),
            new(AlertFields.LogLine, mismatch.FirstLine),
            new(AlertFields.VmName, subject.Vm),
            new(AlertFields.ProcPid, mismatch.Thread),
            new(AlertFields.Program, subject.Program),
            new(AlertFields.Prev, prev),
            new(AlertFields.Next, next),
            new(AlertFields.Count, mismatch.Count),
            new(AlertFields.Window, window),
            new(AlertFields.Profile, subject.Profile),
            new(AlertFields.Detector, subject.Detector),
        };
        string transition = mismatch.Reason switch
        {
            CallSetReasons.Added => $"call {next} ({mismatch.Reason})",
            CallSetReasons.Missing => $"no call {next} ({mismatch.Reason})",
            null => (prev ?? "(thread start)") + " -> " + next,
            _ => (prev ?? "(thread start)") + " -> " + next + $" ({mismatch.Reason})",
        };
        if (mismatch.Reason is not null)
        {
            fields.Add(new(AlertFields.Reason, mismatch.Reason));
        }

        if (subject.BinarySha256 is not null)
        {
            fields.Add(new(AlertFields.ExePath, subject.BinaryPath));
            fields.Add(new(AlertFields.ExeSha256, subject.BinarySha256));
        }

        if (subject.Source is not null)
        {
            fields.Add(new(AlertFields.Source, subject.Source));
        }

        string output = string.Create(CultureInfo.InvariantCulture,
            $"{MismatchRule} {transition} in a well-known program (vm={subject.Vm ?? "-"} log={subject.LogName} line={mismatch.FirstLine} pid={mismatch.Thread} program={subject.Program ?? "-"} profile={subject.Profile})");
        string id = Id(subject.Vm, subject.LogKey, mismatch.FirstLine.ToString(CultureInfo.InvariantCulture),
            string.Join(',', mismatch.Gram.Select(n => n.ToString(CultureInfo.InvariantCulture))) + (mismatch.Reason is null ? "" : "/" + mismatch.Reason));
        return new Alert(id, time, MismatchRule, Priority, "syscall", Hostname, output, s_mismatchTags, fields);
    }

    /// <summary>
    /// An alert about sysprint itself (<c>source: internal</c>): a log it could not read, lines it
    /// skipped. <paramref name="what"/> distinguishes several such alerts about one log.
    /// </summary>
    public Alert Internal(string rule, AlertPriority priority, string? vm, string logName, string logKey, string what, string reason, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(logName);
        ArgumentNullException.ThrowIfNull(reason);
        var fields = new List<KeyValuePair<string, object?>>
        {
            new(AlertFields.LogName, logName),
            new(AlertFields.VmName, vm),
            new(AlertFields.Reason, reason),
        };
        string output = $"{rule}: {reason} (vm={vm ?? "-"} log={logName})";
        return new Alert(Id(vm, logKey, "internal", what), time, rule, priority, "internal", Hostname, output, s_internalTags, fields);
    }

    /// <summary>
    /// A UUID (version 8, RFC 9562) from the SHA-256 of the parts: the same VM, log content, line and
    /// window always give the same id, so the outbox drops an alert raised again.
    /// </summary>
    public static string Id(string? vm, string logKey, string where, string what)
    {
        ArgumentNullException.ThrowIfNull(logKey);
        string text = $"sysprint-alert/1\0{vm}\0{logKey}\0{where}\0{what}";
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        string hex = Convert.ToHexStringLower(hash[..16]);
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..32]}";
    }
}
