using Sysprint.Cli;

namespace Sysprint.Fleet.Tests.Support;

/// <summary>Runs the sysprint CLI in-process with captured streams and no $SYSPRINT_DB from the machine.</summary>
internal static class Cli
{
    public static (int Exit, string Out, string Error) Run(params string[] args) => RunAs(null, args);

    /// <summary>Runs it as host <paramref name="host"/> (its <c>$SYSPRINT_HOSTNAME</c>, seen by this run only), or as this machine when null.</summary>
    public static (int Exit, string Out, string Error) RunAs(string? host, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = SysprintApp.Run(args, new CliContext
        {
            Out = output,
            Error = error,
            Environment = name => name switch
            {
                "SYSPRINT_DB" => null,
                "SYSPRINT_HOSTNAME" when host is not null => host,
                _ => Environment.GetEnvironmentVariable(name),
            },
        });
        return (exit, output.ToString(), error.ToString());
    }
}
