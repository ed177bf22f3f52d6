using System.CommandLine;
using Sysprint.Cli.Demo;

namespace Sysprint.Cli.Commands;

/// <summary><c>sysprint demo</c>: the whole story on real programs traced here.</summary>
internal static class DemoCommand
{
    public static Command Create(CliContext context)
    {
        var dir = new Option<string?>("--dir")
        {
            Description = "Folder for the demo's logs and store (default: a new folder under the system's temp folder)",
            HelpName = "DIR",
        };
        var command = new Command("demo", "Trace real programs with strace, learn their fingerprint, then check a clean and a tampered run") { dir };
        command.SetAction(result =>
        {
            string workDir = result.GetValue(dir) ?? Directory.CreateTempSubdirectory("sysprint-demo-").FullName;
            Directory.CreateDirectory(workDir);
            return new DemoScenario(context, workDir).Run();
        });
        return command;
    }
}
