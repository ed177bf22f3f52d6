namespace Sysprint.App.Profiles;

/// <summary>A threshold chosen from the learnt logs alone (<c>profile --false-alarms</c>).</summary>
/// <param name="Detector">The detector it is for.</param>
/// <param name="Threshold">The score tolerated before a log is anomalous.</param>
/// <param name="Above">Held-out learnt logs that score above it.</param>
/// <param name="HeldOut">Learnt logs held out and scored.</param>
public sealed record Calibration(string Detector, double Threshold, int Above, int HeldOut);
