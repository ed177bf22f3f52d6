using System.Globalization;
using System.Runtime.InteropServices;
using Sysprint.Diagnostics;

namespace Sysprint.Agent.Tracing.Native;

/// <summary>Explains a refused ptrace: Yama's <c>ptrace_scope</c>, a missing capability, a container's seccomp profile.</summary>
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
        int? scope = Scope();
        string why = scope switch
        {
            3 => "kernel.yama.ptrace_scope is 3: ptrace is disabled on this host until it reboots with another setting; no tracer can run here, so check logs collected otherwise with 'sysprint watch'",
            2 => "kernel.yama.ptrace_scope is 2: only a process with CAP_SYS_PTRACE may trace; run sysprint as root, or give it the capability ('sudo setcap cap_sys_ptrace+ep' on the published sysprint binary, or AmbientCapabilities=CAP_SYS_PTRACE in its systemd unit)",
            1 when attach => "kernel.yama.ptrace_scope is 1: a process may trace only its own descendants; run sysprint as root or with CAP_SYS_PTRACE, or allow it with 'sudo sysctl kernel.yama.ptrace_scope=0'",
            _ => "run sysprint as root or with CAP_SYS_PTRACE (in a container: --cap-add SYS_PTRACE, whose seccomp profile otherwise forbids ptrace); a process of another user, or one already traced (by a debugger or strace), cannot be traced",
        };
        return new SysprintException(ErrorKind.Unavailable, $"{what}: {why}");
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
