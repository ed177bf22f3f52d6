using System.CommandLine;

namespace Sysprint.Cli.Commands;

/// <summary><c>sysprint demo</c>: the whole story on real programs traced here.</summary>
internal static class DemoCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("demo", "Trace real programs with strace, learn their fingerprint, then catch a tampered run");
        command.SetAction(_ =>
        {
            context.Fail("demo is not built yet");
            return 70;
        });
        return command;
    }
}
