namespace Sysprint.Storage;

/// <summary>
/// A whole profile to write in place of the one of the same name (<see cref="IFingerprintStore.ReplaceProfile"/>):
/// what <c>import</c> and the agent's profile feed write, in one transaction, so that no reader
/// (a running agent, the fleet's profile feed) ever sees the profile missing or half written.
/// </summary>
/// <param name="NewNames">Names the store's mapping lacks (number, name).</param>
/// <param name="Logs">Its learnt logs in order, each with the grams it brought and its window counts.</param>
/// <param name="Settings">Settings written with it (its seal under <see cref="Integrity.Seal.SettingKey"/>, the agent's record of where it came from).</param>
public sealed record ProfileReplacement(
    string Name,
    int Window,
    string Detector,
    double Threshold,
    IReadOnlyList<KeyValuePair<int, string>> NewNames,
    IReadOnlyList<ReplacementLog> Logs,
    IReadOnlyList<KeyValuePair<string, string>> Settings);
