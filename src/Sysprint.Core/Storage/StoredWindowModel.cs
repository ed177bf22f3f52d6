using Sysprint.Detection;

namespace Sysprint.Storage;

/// <summary>
/// What the store keeps for the window detectors (zstide, freq, callset) of one profile: every
/// learnt window of 1 to 10 calls with its totals, each learnt log's id and length (zstide's
/// leave-one-out calibration), and each distinct call vocabulary (callset).
/// </summary>
/// <param name="LogsWithoutWindows">Logs learnt without windows (before schema 3, or imported): when
/// not 0 the model does not describe the whole profile and the window detectors must not use it.</param>
public sealed record StoredWindowModel(
    SubstringModel Model,
    IReadOnlyList<(int Log, long Calls)> Logs,
    IReadOnlyList<int[]> Vocabularies,
    int LogsWithoutWindows);
