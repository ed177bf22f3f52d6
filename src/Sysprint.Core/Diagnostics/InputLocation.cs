namespace Sysprint.Diagnostics;

/// <summary>
/// A place in a log, with what was wrong there (for lenient mode's report of skipped lines) and what
/// the user can do about it, for the front end to word.
/// </summary>
public readonly record struct InputLocation(string Path, long Line, int Column, string Detail, Remedy? Remedy = null)
{
    public override string ToString() => $"{Path}:{Line}:{Column}: {Detail}";
}
