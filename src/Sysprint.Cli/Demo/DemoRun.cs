namespace Sysprint.Cli.Demo;

/// <summary>One traced execution in the demo: the command, the strace shape it was captured in, and its log.</summary>
internal sealed record DemoRun(string Program, string[] Command, string[] StraceOptions, string Log);
