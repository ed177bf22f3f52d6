using System.ComponentModel;
using System.Diagnostics;
using System.IO.Pipes;
using System.Runtime.InteropServices;
using System.Text;
using Sysprint.Storage;

namespace Sysprint.Agent.Sinks;

/// <summary>
/// Feeds each alert to a program (<c>--alert-program CMD</c>): one run of <c>/bin/sh -c CMD</c> per
/// alert, its JSON as one line on the program's stdin, as Falco's <c>program_output</c> without
/// <c>keep_alive</c>. The alert is delivered only when the program read all of it and exited with
/// status 0; a non-zero exit, a program that exits without reading its input, or one still running
/// at the delivery timeout is a failed delivery, retried by the outbox. Its own output goes where
/// sysprint's goes.
/// </summary>
/// <remarks>
/// One run per alert is what makes the exit status mean something: a program kept alive across
/// alerts (the earlier design) took lines into a pipe buffer, and <c>cat &gt;/dev/null; exit 3</c>
/// was counted delivered.
/// </remarks>
public sealed partial class ProgramSink : IAlertSink
{
    private const int FionRead = 0x541B;

    private readonly string _command;

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
        using Process process = Start();
        try
        {
            Task exited = process.WaitForExitAsync(cancellationToken);
            Stream stdin = process.StandardInput.BaseStream;
            byte[] line = Encoding.UTF8.GetBytes(alert.Json + "\n");
            try
            {
                await stdin.WriteAsync(line, cancellationToken).ConfigureAwait(false);
                await stdin.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                await exited.ConfigureAwait(false);
                throw new IOException($"the program exited with status {process.ExitCode} without reading the alert");
            }

            // The pipe holds what the program has not read yet: wait until it is empty (taken)
            // or the program has exited (then what is left was never read).
            int unread = await UnreadAsync(stdin, exited, cancellationToken).ConfigureAwait(false);
            if (unread > 0)
            {
                throw new IOException($"the program exited with status {process.ExitCode} leaving {unread} of {line.Length} bytes of the alert unread");
            }

            process.StandardInput.Close();
            await exited.ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                throw new IOException($"the program exited with status {process.ExitCode}");
            }
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            throw;
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Bytes still in the pipe once the program took them all (0) or exited.</summary>
    private static async Task<int> UnreadAsync(Stream stdin, Task exited, CancellationToken cancellationToken)
    {
        int fd = stdin is PipeStream pipe ? (int)pipe.SafePipeHandle.DangerousGetHandle() : -1;
        if (fd < 0)
        {
            return 0;
        }

        // A program usually reads its line within a millisecond; the waits grow so a slow one
        // costs little CPU.
        int wait = 1;
        while (true)
        {
            int unread = 0;
            if (Ioctl(fd, FionRead, ref unread) != 0)
            {
                throw new Win32Exception(Marshal.GetLastPInvokeError(), "cannot tell how much of the alert the program read");
            }

            if (unread == 0 || exited.IsCompleted)
            {
                return unread;
            }

            await Task.WhenAny(exited, Task.Delay(wait, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            wait = Math.Min(wait * 2, 50);
        }
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

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
    }

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(int fd, nuint request, ref int value);
}
