using Sysprint.Detection;

namespace Sysprint.Storage;

/// <summary>
/// What the store keeps for the window detectors (zstide, freq, callset) of one profile: every
/// learnt window of 1 to 10 calls with its totals, each learnt log's id and length (zstide's
/// leave-one-out calibration), and each distinct call vocabulary (callset).
/// </summary>
/// <param name="LogWindows">Each learnt log's own windows (<see cref="SubstringModel.ToBytes"/>), in the order of <paramref name="Logs"/>.</param>
/// <param name="LogsWithoutWindows">Logs learnt without windows (before schema 3, or imported from an export without them): when
/// not 0 the model does not describe the whole profile and the window detectors must not use it.</param>
/// <param name="Digest">SHA-256 (hex) of the stored windows, log by log in the order of their
/// content's SHA-256, for a seal to cover them.</param>
public sealed record StoredWindowModel(
    SubstringModel Model,
    IReadOnlyList<(int Log, long Calls)> Logs,
    IReadOnlyList<int[]> Vocabularies,
    IReadOnlyList<byte[]> LogWindows,
    int LogsWithoutWindows,
    string Digest);

/// <summary>One learnt log's stored windows (<see cref="SubstringModel.ToBytes"/>), named by its content's SHA-256, as export carries them.</summary>
public sealed record LogWindows(string Sha256, long Syscalls, byte[] Windows);
