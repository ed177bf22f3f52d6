using Sysprint.Storage;

namespace Sysprint.App.Agents;

/// <summary>A file the agent watches, and how far behind its end the agent is.</summary>
/// <param name="LagBytes">Bytes written to the file and not read yet (0 unless it is being read).</param>
public sealed record WatchedFileStatus(WatchedFile File, long LagBytes);
