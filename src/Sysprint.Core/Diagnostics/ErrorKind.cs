namespace Sysprint.Diagnostics;

/// <summary>
/// What kind of expected failure a <see cref="SysprintException"/> reports. Core, App, Storage,
/// Agent and Server say what went wrong; each front end decides what that means to its caller (the
/// CLI maps a kind to a process exit code, the server to an HTTP status).
/// </summary>
public enum ErrorKind
{
    /// <summary>A request the caller got wrong: an option value, a name, a combination.</summary>
    Usage,

    /// <summary>An input (log, mapping, config, export) does not fit its format.</summary>
    MalformedInput,

    /// <summary>An input is missing or cannot be read.</summary>
    InputMissing,

    /// <summary>A tool or service sysprint needs (strace, a compiler, a server) is not available.</summary>
    Unavailable,

    /// <summary>
    /// A fingerprint failed its seal check (changed, unsealed, or signed by another key), or a key,
    /// store or config that others may change was refused.
    /// </summary>
    Untrusted,

    /// <summary>The store could not be used: locked, corrupt, of a newer schema, or unwritable.</summary>
    StoreUnavailable,

    /// <summary>Another agent already works with the same store: the same request succeeds once it stopped.</summary>
    TemporaryFailure,

    /// <summary>A bug in sysprint itself.</summary>
    Internal,
}
