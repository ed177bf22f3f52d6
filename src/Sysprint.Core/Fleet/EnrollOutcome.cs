namespace Sysprint.Fleet;

/// <summary>What became of an enrollment request.</summary>
public enum EnrollOutcome
{
    Enrolled,

    /// <summary>No enrollment secret has this value.</summary>
    UnknownSecret,

    Expired,

    Revoked,

    /// <summary>A host of that name is already enrolled (or was revoked): its name is not taken over.</summary>
    NameTaken,
}
