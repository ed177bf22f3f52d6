using Sysprint.Agent.Tracing.Native;

namespace Sysprint.Agent.Tests.Tracing;

/// <summary>
/// Which cause a refused ptrace is given, from what the host says (Yama's ptrace_scope, the tracer
/// already there, CAP_SYS_PTRACE): every branch, Yama's included, which <c>TracePermissionTests</c>
/// cannot reach with real refusals on a kernel without Yama (this one: no /proc/sys/kernel/yama).
/// </summary>
public sealed class TracePermissionWhyTests
{
    private const string CapabilityFix = "run sysprint as root, or give it CAP_SYS_PTRACE ('sudo setcap cap_sys_ptrace+ep' on the published sysprint binary, "
        + "AmbientCapabilities=CAP_SYS_PTRACE in its systemd unit, --cap-add SYS_PTRACE for a container)";

    private const string SecurityModule = "sysprint has CAP_SYS_PTRACE, so a security module or a container's seccomp profile forbids ptrace here "
        + "(Docker's default profile allows it only with --cap-add SYS_PTRACE)";

    private const string Scope1 = "kernel.yama.ptrace_scope is 1: a process may trace only its own descendants; run sysprint as root or with CAP_SYS_PTRACE, "
        + "or allow it with 'sudo sysctl kernel.yama.ptrace_scope=0'";

    private const string Scope2 = "kernel.yama.ptrace_scope is 2: only a process with CAP_SYS_PTRACE may trace; run sysprint as root, or give it the capability "
        + "('sudo setcap cap_sys_ptrace+ep' on the published sysprint binary, or AmbientCapabilities=CAP_SYS_PTRACE in its systemd unit)";

    private const string Scope3 = "kernel.yama.ptrace_scope is 3: ptrace is disabled on this host until it reboots with another setting; "
        + "no tracer can run here, so check logs collected otherwise with 'sysprint watch'";

    public static TheoryData<int?, bool, bool, string> Causes => new()
    {
        // scope, attach, has CAP_SYS_PTRACE, the cause given
        { 3, true, true, Scope3 },
        { 3, false, false, Scope3 },
        { 2, true, false, Scope2 },
        { 2, false, false, Scope2 },
        { 2, true, true, SecurityModule },
        { 1, true, false, Scope1 },
        { 1, true, true, SecurityModule },
        { 1, false, false, $"sysprint runs as user nobody without CAP_SYS_PTRACE, and the command belongs to another user or holds capabilities sysprint lacks; {CapabilityFix}" },
        { 0, true, false, $"sysprint runs as user nobody without CAP_SYS_PTRACE, and the process belongs to another user or holds capabilities sysprint lacks; {CapabilityFix}" },
        { null, true, false, $"sysprint runs as user nobody without CAP_SYS_PTRACE, and the process belongs to another user or holds capabilities sysprint lacks; {CapabilityFix}" },
        { null, true, true, SecurityModule },
    };

    [Theory]
    [MemberData(nameof(Causes))]
    public void The_cause_given_is_the_first_that_applies(int? scope, bool attach, bool capability, string cause)
    {
        var facts = new TracePermission.RefusalFacts(scope, attach, Process: attach, Tracer: null, TracerProgram: null, capability, "user nobody");

        Assert.Equal(cause, TracePermission.Why(facts));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(null)]
    public void A_process_traced_already_names_its_tracer_before_any_setting(int? scope)
    {
        var facts = new TracePermission.RefusalFacts(scope, Attach: true, Process: true, Tracer: 4242, TracerProgram: "strace", HasCapability: true, "user root");

        Assert.Equal("it is traced already, by process 4242 (strace), and a process has one tracer at a time: end that tracer first", TracePermission.Why(facts));
    }
}
