using System.CommandLine;
using Sysprint.Agent.Tracing;

using Sysprint.Storage;

namespace Sysprint.Cli.Commands;

/// <summary>
/// <c>sysprint attach PID</c>: attaches strace to a running process (and the threads and children
/// it starts) and checks its calls live, like <c>run</c>. Ends when the process exits, or on
/// Ctrl+C (strace detaches). The first call seen of each thread is not its start, so windows
/// shorter than the profile's are not checked.
/// </summary>
internal static class AttachCommand
{
    public static Command Create(CliContext context)
    {
        var db = CommonOptions.Db();
        var profile = CommonOptions.Profile();
        var pid = new Argument<int>("PID") { Description = "The process to attach to" };
        pid.Validators.Add(r =>
        {
            int value;
            try
            {
                value = r.GetValueOrDefault<int>();
            }
            catch (InvalidOperationException)
            {
                // Not a number: System.CommandLine reports it itself.
                return;
            }

            if (value < 1)
            {
                r.AddError($"PID must be a process id (at least 1), not {value}");
            }
        });
        var live = RunCommand.LiveOptions.Create();
        var attach = new Command("attach", "Attach to a running process and check each system call before it runs; exit 1 when anomalous")
        {
            db, profile, pid,
        };
        live.AddTo(attach);
        attach.SetAction(result =>
        {
            var options = live.Complete(result, new TraceOptions { AttachPid = result.GetValue(pid), OnAnomaly = live.Action(result) });
            StoreAddress address = StoreLocator.Resolve(result.GetValue(db), context);
            return live.Execute(context, result, address, options, result.GetValue(profile)!);
        });
        return attach;
    }
}
