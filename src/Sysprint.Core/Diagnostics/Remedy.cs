namespace Sysprint.Diagnostics;

/// <summary>
/// A typed remedy for an error (<see cref="SysprintException.Remedy"/>): what to do, and the profile
/// it concerns when it names one. Front ends word it; Core never names their flags.
/// </summary>
/// <param name="Kind">What to do.</param>
/// <param name="Profile">The profile to learn, for <see cref="RemedyKind.LearnProfile"/> and <see cref="RemedyKind.LearnNormal"/>.</param>
/// <param name="Runs">The profile checks traced runs, so runs can teach it as well as logs.</param>
public readonly record struct Remedy(RemedyKind Kind, string? Profile = null, bool Runs = false)
{
    public static implicit operator Remedy(RemedyKind kind) => new(kind);
}
