namespace Sysprint.Fleet;

/// <summary>
/// What one normal log taught, as a host uploads it during a learning window: the log's grams and
/// window counts (not the log: no argument, path or data of the VM leaves the host), named by the
/// SHA-256 of its content, so that the same log uploaded again, or by another host, counts once.
/// </summary>
/// <param name="Grams">Every distinct gram of the log (<see cref="Model.Fingerprint.FormatGram"/>, in the store's numbering).</param>
/// <param name="Windows">The log's own window counts (<see cref="Detection.SubstringModel.ToBytes"/>), or null.</param>
public sealed record LearningUpload(
    string Sha256,
    string Vm,
    string Log,
    long Syscalls,
    IReadOnlyList<string> Grams,
    byte[]? Windows);
