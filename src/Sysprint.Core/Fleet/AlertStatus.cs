namespace Sysprint.Fleet;

/// <summary>Where an administrator stands on a central alert (the console's alerts table).</summary>
public enum AlertStatus
{
    /// <summary>Nobody has looked at it yet.</summary>
    New,

    /// <summary>Seen and acknowledged, with a note.</summary>
    Acknowledged,

    /// <summary>Dismissed as normal: "this is normal" learnt its transition into the profile.</summary>
    Dismissed,
}
