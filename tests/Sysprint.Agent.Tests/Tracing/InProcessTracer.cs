namespace Sysprint.Agent.Tests.Tracing;

/// <summary>
/// Tests that run the native tracer inside the test process run one at a time. The tracer waits
/// with <c>waitid(P_ALL)</c>, which also sees the stops of another thread's tracees in the same
/// process: two tracers in one process can take each other's stops and both wait forever (seen as
/// a hung CI run: a traced <c>find</c> and a traced <c>cat</c> left in tracing stop). A
/// <c>sysprint run</c> holds one tracer, so only tests can meet this; <c>__WNOTHREAD</c> in the
/// tracer's waits would lift it, with another way to wake its loop on cancel.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public static class InProcessTracer
{
    public const string Name = "in-process native tracer";
}
