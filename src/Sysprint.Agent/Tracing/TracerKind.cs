using System.Runtime.InteropServices;

namespace Sysprint.Agent.Tracing;

/// <summary>What traces a live run.</summary>
public enum TracerKind
{
    /// <summary>ptrace(2) from the agent itself: decides at each call's entry, before it runs (Linux x86_64).</summary>
    Native,

    /// <summary>strace, its text read as it is written: alerts (and stops or kills) just after the offending call.</summary>
    Strace,
}

/// <summary>Where each tracer runs.</summary>
public static class Tracers
{
    /// <summary>True where the native tracer runs: Linux on x86_64 (arm64 is not built: it could not be tested).</summary>
    public static bool NativeSupported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;
}
