using Spectre.Console;

namespace Sysprint.Cli;

/// <summary>
/// The world a command runs in: its output streams, environment and working directory. Tests
/// build one over string writers to run the CLI in-process.
/// </summary>
public sealed class CliContext
{
    public required TextWriter Out { get; init; }

    public required TextWriter Error { get; init; }

    /// <summary>Reads an environment variable (injected by tests).</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>True when stderr is a terminal: progress bars are drawn only then.</summary>
    public bool Interactive { get; init; }

    /// <summary>Rich output (progress bars) on stderr, so stdout stays pipeable.</summary>
    public IAnsiConsole ErrorConsole => _errorConsole ??= AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(Error),
        Ansi = Interactive ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = Interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Interactive = Interactive ? InteractionSupport.Yes : InteractionSupport.No,
    });

    private IAnsiConsole? _errorConsole;

    public static CliContext FromConsole()
    {
        var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 64 * 1024) { AutoFlush = false };
        var stderr = new StreamWriter(Console.OpenStandardError(), new System.Text.UTF8Encoding(false)) { AutoFlush = true };
        return new CliContext
        {
            Out = stdout,
            Error = stderr,
            Interactive = !Console.IsErrorRedirected,
        };
    }

    /// <summary>Writes <c>sysprint: error: ...</c> to stderr.</summary>
    public void Fail(string message) => Error.WriteLine($"sysprint: error: {message}");

    /// <summary>Writes <c>sysprint: note: ...</c> to stderr.</summary>
    public void Note(string message) => Error.WriteLine($"sysprint: {message}");
}
