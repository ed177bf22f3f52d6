namespace Sysprint.Fleet;

/// <summary>
/// The console's filter over central alerts, applied by the database: every member that is set
/// must match. Newest arrival first, at most <see cref="Limit"/>, older than <see cref="BeforeSeq"/>.
/// </summary>
public sealed record ConsoleAlertQuery
{
    public string? Host { get; init; }

    public string? Vm { get; init; }

    /// <summary>The alert's profile or its program (either matches).</summary>
    public string? Program { get; init; }

    public string? Detector { get; init; }

    public AlertStatus? Status { get; init; }

    /// <summary>Alerts raised at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Alerts raised before this time.</summary>
    public DateTimeOffset? Until { get; init; }

    public int Limit { get; init; } = 50;

    /// <summary>Only alerts that arrived before this one (the previous page's last <see cref="FleetAlert.Seq"/>).</summary>
    public long? BeforeSeq { get; init; }
}
