namespace Sysprint.Fleet;

/// <summary>What the console's alert counts are grouped by.</summary>
public enum AlertGrouping
{
    Host,

    Profile,

    /// <summary>The hour the alert was raised in, as <c>yyyy-MM-ddTHH:00:00Z</c>.</summary>
    Hour,
}
