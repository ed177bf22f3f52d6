using System.Diagnostics;
using System.Text;
using Sysprint.Storage;

namespace Sysprint.Agent.Sinks;

/// <summary>
/// Feeds alerts to a program (<c>--alert-program CMD</c>), one JSON alert per line on its stdin, as
/// Falco's <c>program_output</c> with <c>keep_alive</c>. CMD is a shell command line
/// (<c>/bin/sh -c CMD</c>, as in Falco's configuration); it is started at the first alert and
/// again whenever it has exited. Its own output goes where sysprint's goes.
/// </summary>
public sealed class ProgramSink : IAlertSink
{
    private readonly string _command;
    private Process? _process;

    public ProgramSink(string command)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        _command = command;
        Name = "program:" + command;
    }

    public string Name { get; }

    public async Task DeliverAsync(OutboxAlert alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (_process is null || _process.HasExited)
        {
            _process?.Dispose();
            _process = Start();
        }

        try
        {
            StreamWriter stdin = _process.StandardInput;
            await stdin.WriteAsync((alert.Json + "\n").AsMemory(), cancellationToken).ConfigureAwait(false);
            await stdin.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The program died (broken pipe): start it again at the next attempt.
            Stop();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is null)
        {
            return;
        }

        try
        {
            // End of input tells the program to finish; give it a moment to handle the last alerts.
            _process.StandardInput.Close();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
        {
            Stop();
        }

        _process?.Dispose();
        _process = null;
    }

    private Process Start()
    {
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(_command);
        return Process.Start(start) ?? throw new IOException($"could not start /bin/sh -c {_command}");
    }

    private void Stop()
    {
        if (_process is null)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }

        _process.Dispose();
        _process = null;
    }
}
