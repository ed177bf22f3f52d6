namespace Sysprint.Fleet;

/// <summary>Which central alerts to list: newest first, at most <see cref="Limit"/>, optionally one host's, older than <see cref="BeforeSeq"/>.</summary>
public sealed record FleetAlertQuery
{
    public string? Host { get; init; }

    public int Limit { get; init; } = 50;

    /// <summary>Only alerts that arrived before this one (the previous page's last <see cref="FleetAlert.Seq"/>).</summary>
    public long? BeforeSeq { get; init; }
}
