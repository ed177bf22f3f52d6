namespace Sysprint.Diagnostics;

/// <summary>A place in a log, with what was wrong there (for lenient mode's report of skipped lines).</summary>
public readonly record struct InputLocation(string Path, long Line, int Column, string Detail)
{
    public override string ToString() => $"{Path}:{Line}:{Column}: {Detail}";
}
