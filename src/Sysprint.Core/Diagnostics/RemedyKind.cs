namespace Sysprint.Diagnostics;

/// <summary>
/// What the user can do about an error, named by the domain. Messages leave it out; each front end
/// words it with its own means (the CLI with its flags and commands, the agent with its config keys).
/// </summary>
public enum RemedyKind
{
    /// <summary>Raise the limit on distinct system calls (at most <see cref="Parsing.LogReadOptions.MaxMaxCalls"/>).</summary>
    RaiseCallLimit,

    /// <summary>Raise the limit on threads alive at once.</summary>
    RaiseThreadLimit,

    /// <summary>Raise the limit on the bytes of one line.</summary>
    RaiseLineLimit,

    /// <summary>Say which log format the input is in.</summary>
    NameFormat,

    /// <summary>Learn unknown system call names, or give a mapping that numbers them.</summary>
    LearnNamesOrMapping,

    /// <summary>Give the detector's threshold: it cannot be calibrated from the learnt logs alone.</summary>
    GiveThreshold,

    /// <summary>Seal the profile (it is used only sealed, by the trusted key).</summary>
    SealProfile,

    /// <summary>If the change is the user's own, seal the profile again.</summary>
    SealAgain,

    /// <summary>Seal the profile again so that its seal covers its window counts (they are used only sealed).</summary>
    SealWindows,

    /// <summary>Name the profile: the log has no program to name it after.</summary>
    NameProfile,

    /// <summary>Use another profile (its window cannot change).</summary>
    UseAnotherProfile,

    /// <summary>Learn <see cref="Remedy.Profile"/> first (from logs, or from runs too when <see cref="Remedy.Runs"/>).</summary>
    LearnProfile,

    /// <summary>Learn normal logs (runs when <see cref="Remedy.Runs"/>) into <see cref="Remedy.Profile"/> first: it has learnt nothing.</summary>
    LearnNormal,

    /// <summary>Learn the normal logs again into a new profile (with window counts).</summary>
    LearnAgainWithWindows,

    /// <summary>Close the open learning window first.</summary>
    CloseLearningWindow,

    /// <summary>Assign the profile to the group first (its agents receive only their groups' profiles).</summary>
    AssignProfileToGroup,

    /// <summary>Ask for the profile of the same name to be replaced, or import into another store.</summary>
    ReplaceProfile,
}
