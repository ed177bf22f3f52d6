using Sysprint.Cli;

namespace Sysprint.Fleet.Tests.Support;

/// <summary>Runs the sysprint CLI in-process with captured streams and no $SYSPRINT_DB from the machine.</summary>
internal static class Cli
{
    public static (int Exit, string Out, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = SysprintApp.Run(args, new CliContext
        {
            Out = output,
            Error = error,
            Environment = name => name == "SYSPRINT_DB" ? null : Environment.GetEnvironmentVariable(name),
        });
        return (exit, output.ToString(), error.ToString());
    }
}
