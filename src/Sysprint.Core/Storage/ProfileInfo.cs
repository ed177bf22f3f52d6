namespace Sysprint.Storage;

/// <summary>A fingerprint profile: the whole database's (<c>default</c>) or one well-known program's.</summary>
public sealed record ProfileInfo(long Id, string Name, int Window, string Detector, double Threshold, DateTimeOffset Created)
{
    /// <summary>The profile used when none is named (the paper's single database).</summary>
    public const string DefaultName = "default";
}
