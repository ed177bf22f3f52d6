namespace Sysprint.Agent.Watch;

/// <summary>A watcher's progress for the metrics: totals of this watcher, and per VM (<see cref="SpoolWatcher.Progress"/>).</summary>
internal sealed record WatchProgress(long Lines, long Syscalls, int FilesReading, IReadOnlyDictionary<string, VmProgress> Vms);
