using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging.Abstractions;
using Sysprint.Agent.Alerts;
using Sysprint.Agent.Fleet;
using Sysprint.Agent.Live;
using Sysprint.Agent.Outbox;
using Sysprint.Agent.Sinks;
using Sysprint.Agent.Tracing;
using Sysprint.Agent.Tracing.Native;
using Sysprint.Diagnostics;
using Sysprint.Engine;
using Sysprint.Integrity;
using Sysprint.Mapping;
using Sysprint.Parsing;
using Sysprint.Storage;

namespace Sysprint.Cli.Commands;

/// <summary>
/// <c>sysprint run [--on-anomaly alert|stop|kill] [--learn] -- CMD ARGS...</c>: runs CMD under
/// strace and checks its calls while it runs; alerts at the offending call, then stops or kills
/// the traced process tree if asked. Exit 0 when the run was normal, 1 when anomalous.
/// </summary>
internal static class RunCommand
{
    /// <summary>Distinct mismatches listed in the verdict.</summary>
    private const int ShownMismatches = 20;

    public static Command Create(CliContext context)
    {
        var db = CommonOptions.Db();
        var profile = CommonOptions.Profile();
        var window = CommonOptions.Window();
        var learn = new Option<bool>("--learn") { Description = "Learn this run into the profile instead of checking it" };
        var trace = new Option<string?>("--log", "--trace")
        {
            Description = "Keep the trace at FILE, as strace -f -ttt writes it (with --tracer strace: with --learn only). Default: none kept",
            HelpName = "FILE",
        };
        var environment = new Option<string[]>("--env", "-E")
        {
            Description = "Set NAME=VALUE in the command's environment only (strace -E)",
            HelpName = "NAME=VALUE",
        };
        environment.Validators.Add(r =>
        {
            foreach (string entry in r.GetValueOrDefault<string[]>() ?? [])
            {
                if (entry.IndexOf('=', StringComparison.Ordinal) <= 0)
                {
                    r.AddError($"--env '{Printable.Escape(entry)}': expected NAME=VALUE");
                }
            }
        });
        var command = new Argument<string[]>("CMD")
        {
            Description = "The command and its arguments, after '--' (passed as is, never through a shell)",
            Arity = ArgumentArity.OneOrMore,
        };
        var live = LiveOptions.Create();
        var run = new Command("run", "Run a command traced and check each system call before it runs; exit 1 when anomalous")
        {
            db, profile, window, learn, trace, environment, command,
        };
        live.AddTo(run);
        run.SetAction(result =>
        {
            var env = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (string entry in result.GetValue(environment) ?? [])
            {
                int eq = entry.IndexOf('=', StringComparison.Ordinal);
                env[entry[..eq]] = entry[(eq + 1)..];
            }

            var options = live.Complete(result, new TraceOptions
            {
                Command = result.GetValue(command)!,
                Environment = env,
                OnAnomaly = live.Action(result),
            });
            StoreAddress address = StoreLocator.Resolve(result.GetValue(db), context);
            if (result.GetValue(learn))
            {
                if (result.GetValue(live.Trust) is not null)
                {
                    throw new SysprintException(ErrorKind.Usage, "--trust goes with a checked run: --learn changes the fingerprint, so seal it again afterwards");
                }

                return Learn(context, address, options, result.GetValue(profile)!, result.GetValue(window), result.GetValue(trace));
            }

            if (result.GetValue(trace) is { } keep)
            {
                if (options.Tracer == TracerKind.Strace)
                {
                    throw new SysprintException(ErrorKind.Usage, "with --tracer strace, --log goes with --learn (a checked run is read live from a pipe)");
                }

                options = options with { TraceFile = Path.GetFullPath(keep) };
            }

            return live.Execute(context, result, address, options, result.GetValue(profile)!);
        });
        return run;
    }

    private static int Learn(CliContext context, StoreAddress address, TraceOptions options, string profile, int? window, string? keep)
    {
        using IFingerprintStore store = StoreLocator.Open(address, create: true, context);
        SyscallTable table = StoreLocator.Mapping(store, null, null);
        string directory = Directory.CreateTempSubdirectory("sysprint-learn-").FullName;
        try
        {
            string file = keep is null ? Path.Combine(directory, "trace.strace") : Path.GetFullPath(keep);
            using var cancel = new CancellationTokenSource();
            using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
            {
                c.Cancel = true;
                cancel.Cancel();
            });
            int status = LiveTrace.Record(options, file, cancel.Token);
            var trainer = new Trainer(store, table, new LogReadOptions { Format = LogFormat.Strace, SkipMalformed = true });
            TrainOutcome outcome = trainer.Learn(file, profile, window);
            string name = Printable.Escape("run: " + string.Join(' ', options.Command));
            string added = outcome.AlreadyLearnt ? "already learnt" : $"+{outcome.Log.NewTransitions} transitions";
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"learnt   {name}  {outcome.Log.Syscalls:N0} syscalls, {added}, fingerprint '{outcome.Profile}' {outcome.FingerprintSize}; exit status {status}"));
            return ExitCodes.Ok;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The verdict lines of a traced run, as <c>check</c>'s.</summary>
    /// <param name="denyErrno">The errno denied calls returned.</param>
    internal static void WriteVerdict(TextWriter output, string name, TraceOutcome outcome, LiveProfile profile, SyscallTable table, AnomalyAction action, int denyErrno = 1)
    {
        string status = outcome.ExitCode is { } code ? $"; exit status {code.ToString(CultureInfo.InvariantCulture)}" : "";
        CheckReport.WriteVerdict(output, AsCheck(name, outcome, profile), table, name, ShownMismatches, status);
        if (outcome.Denied > 0)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    denied {outcome.Denied:N0} call{(outcome.Denied == 1 ? "" : "s")}: {(outcome.Denied == 1 ? "it" : "they")} returned {LinuxNames.Errno(denyErrno)} without running"));
        }

        if (outcome.Undeniable > 0)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    let {outcome.Undeniable:N0} anomalous call{(outcome.Undeniable == 1 ? "" : "s")} run: exit, exit_group, rt_sigreturn and restart_syscall are never denied (the program would crash, not get an error)"));
        }

        if (outcome.Anomalous && outcome.Signalled.Count > 0)
        {
            string pids = string.Join(' ', outcome.Signalled);
            output.WriteLine(action == AnomalyAction.Kill
                ? $"    killed the traced processes: {pids}"
                : $"    stopped the traced processes: {pids} (resume: kill -CONT {pids}; end: kill -KILL {pids})");
        }
    }

    private static CheckOutcome AsCheck(string name, TraceOutcome outcome, LiveProfile profile) =>
        new(name, profile.Name, profile.Detector, profile.Threshold, outcome.Read, outcome.MismatchCount, outcome.Mismatches, false, outcome.Score);

    /// <summary>
    /// Records the run as a check with its program and traced binary, so <c>sysprint alerts</c>
    /// lists it when anomalous and, on a fleet's PostgreSQL store, <c>hosts --binaries</c> sees the
    /// host's binary.
    /// </summary>
    internal static void Record(IFingerprintStore store, LiveTrace trace, string? vm, string host, bool attached, TraceOutcome outcome, LiveProfile profile, SyscallTable table)
    {
        string name = trace.DisplayName;
        CheckRecord check = App.Checking.CheckRecords.From(AsCheck(name, outcome, profile), table, name, vm, host,
            attached ? AlertSources.Attach : AlertSources.Run, DateTimeOffset.UtcNow);
        store.RecordCheck(check with { Program = trace.Program, BinaryPath = trace.Binary?.Path, BinarySha256 = trace.Binary?.Sha256 });
    }

    /// <summary>The options and the execution shared by <c>run</c> and <c>attach</c>.</summary>
    internal sealed class LiveOptions
    {
        private LiveOptions()
        {
            OnAnomaly = new Option<string>("--on-anomaly")
            {
                Description = "What to do at an anomalous call, before it runs: alert (let it run), deny (it returns --deny-errno instead of running; the program goes on; exit, exit_group, rt_sigreturn and restart_syscall always run), "
                    + "stop (SIGSTOP the traced processes, to inspect) or kill (SIGKILL them). With --tracer strace the action comes just after the call (deny: native only). "
                    + "The whole-run detectors (zstide, freq, callset) decide when the run ends: alert only",
                DefaultValueFactory = _ => "alert",
            };
            OnAnomaly.AcceptOnlyFromAmong("alert", "deny", "stop", "kill");
            DenyErrno = new Option<string?>("--deny-errno")
            {
                Description = "The error a denied call returns: a name (EPERM, EACCES, ...) or a number. Default: EPERM",
                HelpName = "ERRNO",
            };
            DenyErrno.Validators.Add(r =>
            {
                if (CommonOptions.TryValue(r, out string? value) && value is not null && !LinuxNames.TryParseErrno(value, out _))
                {
                    r.AddError($"--deny-errno '{Printable.Escape(value)}': expected an errno name such as EPERM or EACCES, or a number from 1 to {LinuxNames.MaxErrno}");
                }
            });
            Fail = new Option<string?>("--fail")
            {
                Description = "If sysprint dies or is stopped (SIGTERM) while tracing: closed (the traced processes die with it; the default for run, "
                    + "and for attach with deny or kill) or open (they are detached and go on untraced; the default for attach with alert or stop). "
                    + "Failing closed, run stops each call once instead of twice (its log then has no return values). Native tracer only",
                HelpName = "closed|open",
            };
            Fail.AcceptOnlyFromAmong("closed", "open");
            Tracer = new Option<string?>("--tracer")
            {
                Description = "Who traces: native (ptrace from sysprint itself, deciding before each call runs; the default on Linux x86_64) "
                    + "or strace (reads strace's output, so it acts just after the offending call)",
                HelpName = "native|strace",
            };
            Tracer.AcceptOnlyFromAmong("native", "strace");
            Detector = new Option<string?>("--detector")
            {
                Description = $"How mismatches are weighed: {string.Join(", ", Detectors.All)} (default: the profile's)",
                HelpName = "NAME",
            };
            Threshold = new Option<double?>("--threshold")
            {
                Description = "Mismatches tolerated before the run is anomalous (default: the profile's, 0 unless set)",
                HelpName = "N",
            };
            Vm = new Option<string?>("--vm") { Description = "The VM named in alerts", HelpName = "NAME" };
            Credential = new Option<string?>("--credential")
            {
                Description = "The host's fleet credential, which 'watch --server' wrote when the host enrolled: the alerts also go to that server, "
                    + "under the host's enrolled name (what it cannot take now waits in the store's outbox for the next run or the running watch). "
                    + "Default: STORE.credential when it exists",
                HelpName = "FILE",
            };
            ServerCa = new Option<string?>("--server-ca")
            {
                Description = "The CA certificate (PEM) the fleet server's certificate chains to. Default: the one the host enrolled with",
                HelpName = "FILE",
            };
            Trust = CommonOptions.Trust();
            Sinks = AlertSinkOptions.Create(withQuiet: true);
        }

        public Option<string> OnAnomaly { get; }

        public Option<string?> DenyErrno { get; }

        public Option<string?> Fail { get; }

        public Option<string?> Tracer { get; }

        public Option<string?> Detector { get; }

        public Option<double?> Threshold { get; }

        public Option<string?> Vm { get; }

        public Option<string?> Credential { get; }

        public Option<string?> ServerCa { get; }

        public Option<string?> Trust { get; }

        public AlertSinkOptions Sinks { get; }

        public static LiveOptions Create() => new();

        public void AddTo(Command command)
        {
            command.Options.Add(OnAnomaly);
            command.Options.Add(DenyErrno);
            command.Options.Add(Fail);
            command.Options.Add(Tracer);
            command.Options.Add(Detector);
            command.Options.Add(Threshold);
            command.Options.Add(Vm);
            command.Options.Add(Credential);
            command.Options.Add(ServerCa);
            command.Options.Add(Trust);
            Sinks.AddTo(command);
        }

        public AnomalyAction Action(ParseResult result) => result.GetValue(OnAnomaly) switch
        {
            "deny" => AnomalyAction.Deny,
            "stop" => AnomalyAction.Stop,
            "kill" => AnomalyAction.Kill,
            _ => AnomalyAction.Alert,
        };

        /// <summary>Fills in the tracer, the denied calls' errno and the failure mode, and refuses the combinations that cannot work.</summary>
        public TraceOptions Complete(ParseResult result, TraceOptions options)
        {
            TracerKind tracer = result.GetValue(Tracer) switch
            {
                "strace" => TracerKind.Strace,
                "native" => TracerKind.Native,
                _ => Tracers.NativeSupported ? TracerKind.Native : TracerKind.Strace,
            };
            if (tracer == TracerKind.Native && !Tracers.NativeSupported)
            {
                throw new SysprintException(ErrorKind.Usage,
                    $"--tracer native runs on Linux x86_64 only (this is {RuntimeInformation.OSDescription} on {RuntimeInformation.ProcessArchitecture}): use --tracer strace");
            }

            string? errnoText = result.GetValue(DenyErrno);
            if (errnoText is not null && options.OnAnomaly != AnomalyAction.Deny)
            {
                throw new SysprintException(ErrorKind.Usage, "--deny-errno goes with --on-anomaly deny");
            }

            int errno = 1;
            if (errnoText is not null && !LinuxNames.TryParseErrno(errnoText, out errno))
            {
                throw new SysprintException(ErrorKind.Usage, $"--deny-errno '{Printable.Escape(errnoText)}': expected an errno name such as EPERM or EACCES, or a number");
            }

            string? fail = result.GetValue(Fail);
            if (tracer == TracerKind.Strace)
            {
                if (options.OnAnomaly == AnomalyAction.Deny)
                {
                    throw new SysprintException(ErrorKind.Usage,
                        "--on-anomaly deny needs the native tracer (strace reports a call once it has run): drop --tracer strace");
                }

                if (fail == "closed")
                {
                    throw new SysprintException(ErrorKind.Usage,
                        "--fail closed needs the native tracer (strace detaches the traced processes when it dies): drop --tracer strace");
                }
            }

            // run started the command and waits for it, so by default the command does not outlive
            // the trace (one stop per call, too: see TraceOptions.OneStopPerCall); attach fails open
            // but for deny and kill: the process was running before sysprint and may go on without it.
            bool failOpen = fail is null
                ? options.AttachPid is not null && options.OnAnomaly is not (AnomalyAction.Deny or AnomalyAction.Kill)
                : fail == "open";
            return options with { Tracer = tracer, DenyErrno = errno, FailOpen = tracer == TracerKind.Strace || failOpen };
        }

        /// <summary>Traces live, alerting through the outbox; prints the verdict; exit 0 normal, 1 anomalous.</summary>
        public int Execute(CliContext context, ParseResult result, StoreAddress address, TraceOptions options, string profileName)
        {
            SealVerifier? verifier = CommonOptions.Verifier(result, Trust, context);
            using IFingerprintStore store = StoreLocator.Open(address, create: false, context);
            SyscallTable table = StoreLocator.Mapping(store, null, null);
            LiveProfile profile = LiveProfile.Load(store, profileName, result.GetValue(Detector), result.GetValue(Threshold), verifier, table);
            if (profile.DecidesAtEnd && options.OnAnomaly != AnomalyAction.Alert)
            {
                throw new SysprintException(ErrorKind.Usage,
                    $"detector '{profile.Detector}' scores a run once it has ended, so --on-anomaly deny, stop or kill cannot act on it: use 'paper', 'stide' or 'lfc' to act at the offending call");
            }

            string? vm = result.GetValue(Vm);
            TextWriter? console = Sinks.ShowOnStdout(result) ? context.Out : null;

            // The outbox lives in the local store; a fleet's PostgreSQL store has none: there the
            // run is recorded centrally (with this host's name) and its alerts go to stdout only.
            bool local = StoreLocator.LocalFiles(address).Count > 0;
            if (!local && Sinks.AnySink(result))
            {
                throw new SysprintException(ErrorKind.Usage,
                    "alert sinks (--alerts-jsonl, --syslog, --webhook, --alert-program) keep their pending alerts in a local store's outbox: "
                    + "with --db postgres:// the run is recorded in the fleet's history (sysprint alerts) and its alerts are printed; "
                    + "for sinks, trace against the host's local store");
            }

            FleetConnection? fleet = OpenFleet(result, address, local, context);
            AlertOutbox? outbox = null;
            try
            {
                List<IAlertSink> sinks = local ? Sinks.Sinks(result) : [];
                if (fleet is not null)
                {
                    // Named as watch's server sink: an alert the server cannot take now is delivered
                    // by the next run or by the watch agent on this store.
                    sinks.Add(new ServerSink(fleet));
                }

                outbox = local ? AlertSinkOptions.OpenOutbox(address, context, sinks, console) : null;

                // A fleet's server takes only alerts that name the host it enrolled.
                string hostname = fleet?.Host ?? AlertSinkOptions.Hostname(context);
                var factory = new AlertFactory(hostname);
                string key = Guid.NewGuid().ToString("N");
                string source = options.AttachPid is not null ? AlertSources.Attach : AlertSources.Run;
                var trace = new LiveTrace(options, profile, table, (mismatch, t) =>
                {
                    var subject = new AlertSubject(vm, t.DisplayName, key, t.Program, profile.Name, profile.Detector)
                    {
                        BinaryPath = t.Binary?.Path,
                        BinarySha256 = t.Binary?.Sha256,
                        Source = source,
                    };
                    Alert alert = factory.Mismatch(subject, mismatch, table, DateTimeOffset.UtcNow);
                    if (outbox is not null)
                    {
                        outbox.Raise(alert);
                    }
                    else if (console is not null)
                    {
                        console.WriteLine(alert.ToText());
                        console.Flush();
                    }
                });
                using var cancel = new CancellationTokenSource();

                // Ctrl+C reaches the traced command too (same process group): let it end the run
                // and report. SIGTERM (a service stopping) ends the trace ourselves.
                using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c =>
                {
                    c.Cancel = true;
                    if (options.AttachPid is not null)
                    {
                        cancel.Cancel();
                    }
                });
                using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
                {
                    c.Cancel = true;
                    cancel.Cancel();
                });
                TraceOutcome outcome = trace.Run(cancel.Token);
                string name = Printable.Escape(trace.DisplayName);
                WriteVerdict(context.Out, name, outcome, profile, table, options.OnAnomaly, options.DenyErrno);
                Record(store, trace, vm, hostname, options.AttachPid is not null, outcome, profile, table);
                if (outbox is not null)
                {
                    AlertSinkOptions.FlushAsync(outbox, context, TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
                }

                return outcome.Anomalous ? ExitCodes.Anomalous : ExitCodes.Ok;
            }
            finally
            {
                outbox?.DisposeAsync().AsTask().GetAwaiter().GetResult();
                fleet?.Dispose();
            }
        }

        /// <summary>
        /// The host's fleet membership when it has a credential (<c>--credential</c>, or the one
        /// <c>watch --server</c> keeps beside the store); null when the host is not enrolled.
        /// </summary>
        private FleetConnection? OpenFleet(ParseResult result, StoreAddress address, bool local, CliContext context)
        {
            string? given = result.GetValue(Credential);
            string? ca = result.GetValue(ServerCa);
            if (!local)
            {
                if (given is not null || ca is not null)
                {
                    throw new SysprintException(ErrorKind.Usage,
                        "--credential and --server-ca go with the host's local store: with --db postgres:// the run is recorded in the fleet's history directly");
                }

                return null;
            }

            string file = given ?? address.Text + ".credential";
            if (given is not null && !File.Exists(file))
            {
                throw new SysprintException(ErrorKind.InputMissing, $"--credential {Printable.Escape(file)}: no such file (the agent writes it when the host enrolls: sysprint watch --server URL --enroll-token SECRET)");
            }

            FleetCredential? credential = FleetCredential.Load(file);
            if (credential is null)
            {
                if (ca is not null)
                {
                    throw new SysprintException(ErrorKind.Usage, $"--server-ca goes with a host credential, and {Printable.Escape(file)} does not exist: enroll the host first (sysprint watch --server URL --enroll-token SECRET)");
                }

                return null;
            }

            return FleetConnection.OpenAsync(credential.Server, ca ?? credential.ServerCa, null, credential.Host, file,
                TimeSpan.FromSeconds(10), NullLogger.Instance, CancellationToken.None).GetAwaiter().GetResult();
        }
    }
}
