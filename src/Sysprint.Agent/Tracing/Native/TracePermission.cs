using System.Globalization;
using System.Runtime.InteropServices;
using Sysprint.Diagnostics;

namespace Sysprint.Agent.Tracing.Native;

/// <summary>Explains a refused ptrace: a tracer already there, Yama's <c>ptrace_scope</c>, a missing capability, a container's seccomp profile.</summary>
internal static class TracePermission
{
    private const string ScopeFile = "/proc/sys/kernel/yama/ptrace_scope";

    /// <summary>The error for PTRACE_SEIZE failing with <paramref name="errno"/>, with the fix.</summary>
    public static SysprintException Refused(int errno, bool attach, int? pid = null)
    {
        string target = pid is { } p ? "process " + p.ToString(CultureInfo.InvariantCulture) : "the command";
        if (errno == Ptrace.Esrch)
        {
            return new SysprintException(ErrorKind.InputMissing, $"no {target}");
        }

        string what = $"the native tracer may not trace {target} (ptrace: {Marshal.GetPInvokeErrorMessage(errno)})";
        int? tracer = pid is { } traced ? TracerOf(traced) : null;
        var facts = new RefusalFacts(Scope(), attach, pid is not null, tracer is > 0 ? tracer : null,
            tracer is > 0 ? ProcessTree.ProgramOf(tracer.Value) : null, HasPtraceCapability(), UserName());
        return new SysprintException(ErrorKind.Unavailable, $"{what}: {Why(facts)}");
    }

    /// <summary>What this host says about a refused ptrace: the cause's evidence, read by <see cref="Refused"/>.</summary>
    /// <param name="Scope">Yama's <c>kernel.yama.ptrace_scope</c>, or null without Yama.</param>
    /// <param name="Attach">True for attach (PTRACE_SEIZE of a running process), false for a started command.</param>
    /// <param name="Process">True when a running process was named (attach), false for the command.</param>
    /// <param name="Tracer">The pid that traces the process already, or null.</param>
    /// <param name="TracerProgram">That tracer's program, or null when gone.</param>
    /// <param name="HasCapability">This process holds CAP_SYS_PTRACE in its effective set.</param>
    /// <param name="User">This process's user, as <c>user NAME</c> or <c>uid N</c>.</param>
    internal readonly record struct RefusalFacts(int? Scope, bool Attach, bool Process, int? Tracer, string? TracerProgram, bool HasCapability, string User);

    /// <summary>
    /// The cause of a refusal and its fix, first that applies: a tracer already there, Yama's
    /// ptrace_scope (3: none may trace; 2: only with CAP_SYS_PTRACE; 1, attaching: descendants only,
    /// or with CAP_SYS_PTRACE), no CAP_SYS_PTRACE, else a security module or a container's seccomp
    /// profile. Pure, so every branch is tested, Yama's too on hosts without it.
    /// </summary>
    internal static string Why(RefusalFacts facts) => facts.Scope switch
    {
        _ when facts.Tracer is { } tracer => $"it is traced already, by process {tracer.ToString(CultureInfo.InvariantCulture)} ({facts.TracerProgram ?? "gone"}), and a process has one tracer at a time: end that tracer first",
        3 => "kernel.yama.ptrace_scope is 3: ptrace is disabled on this host until it reboots with another setting; no tracer can run here, so check logs collected otherwise with 'sysprint watch'",
        2 when !facts.HasCapability => "kernel.yama.ptrace_scope is 2: only a process with CAP_SYS_PTRACE may trace; run sysprint as root, or give it the capability ('sudo setcap cap_sys_ptrace+ep' on the published sysprint binary, or AmbientCapabilities=CAP_SYS_PTRACE in its systemd unit)",
        1 when facts.Attach && !facts.HasCapability => "kernel.yama.ptrace_scope is 1: a process may trace only its own descendants; run sysprint as root or with CAP_SYS_PTRACE, or allow it with 'sudo sysctl kernel.yama.ptrace_scope=0'",
        _ when !facts.HasCapability => $"sysprint runs as {facts.User} without CAP_SYS_PTRACE, and {(facts.Process ? "the process" : "the command")} belongs to another user or holds capabilities sysprint lacks; run sysprint as root, or give it CAP_SYS_PTRACE ('sudo setcap cap_sys_ptrace+ep' on the published sysprint binary, AmbientCapabilities=CAP_SYS_PTRACE in its systemd unit, --cap-add SYS_PTRACE for a container)",
        _ => "sysprint has CAP_SYS_PTRACE, so a security module or a container's seccomp profile forbids ptrace here (Docker's default profile allows it only with --cap-add SYS_PTRACE)",
    };

    /// <summary>The pid tracing <paramref name="pid"/> (0: none), from <c>/proc/PID/status</c>; null when unreadable.</summary>
    private static int? TracerOf(int pid) => StatusField($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status", "TracerPid:") is { } text
        && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int tracer) ? tracer : null;

    /// <summary>True when this process's effective capabilities hold CAP_SYS_PTRACE (bit 19).</summary>
    private static bool HasPtraceCapability() => StatusField("/proc/self/status", "CapEff:") is { } text
        && ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong caps) && (caps & (1UL << 19)) != 0;

    private static string UserName()
    {
        string uid = StatusField("/proc/self/status", "Uid:")?.Split('\t')[1] ?? "?";
        try
        {
            foreach (string line in File.ReadLines("/etc/passwd"))
            {
                string[] fields = line.Split(':');
                if (fields.Length > 2 && fields[2] == uid)
                {
                    return $"user {fields[0]}";
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return $"uid {uid}";
    }

    /// <summary>The value after <paramref name="key"/> on its line of a <c>/proc</c> status file, trimmed; null when absent or unreadable.</summary>
    private static string? StatusField(string path, string key)
    {
        try
        {
            foreach (string line in File.ReadLines(path))
            {
                if (line.StartsWith(key, StringComparison.Ordinal))
                {
                    return line[key.Length..].Trim();
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>Yama's <c>ptrace_scope</c>, or null without Yama.</summary>
    public static int? Scope()
    {
        try
        {
            return int.TryParse(File.ReadAllText(ScopeFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int scope) ? scope : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
