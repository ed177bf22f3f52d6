namespace Sysprint.Parsing;

/// <summary>The log formats sysprint reads.</summary>
public enum LogFormat
{
    /// <summary>Detect from the first lines.</summary>
    Auto,

    /// <summary>strace text, any shape (FORMATS.md §1).</summary>
    Strace,

    /// <summary>NtTrace text (FORMATS.md §2).</summary>
    NtTrace,

    /// <summary>ADFA-LD: space-separated decimal numbers, one trace per file.</summary>
    Adfa,

    /// <summary>UNM: one <c>PID NUMBER</c> pair per line.</summary>
    Unm,
}
