namespace Sysprint.App.Checking;

/// <summary>What to check logs against.</summary>
/// <param name="Profile">The profile's name, or <see cref="Engine.Trainer.AutoProfile"/> for each log's program.</param>
/// <param name="Threshold">Score tolerated; null uses the profile's own.</param>
/// <param name="Detector">One of <see cref="Engine.Detectors.All"/>; null uses the profile's own.</param>
/// <param name="Vm">The VM the logs came from, kept with each check and named in its alert.</param>
public sealed record CheckRequest(string Profile, double? Threshold, string? Detector, string? Vm);
