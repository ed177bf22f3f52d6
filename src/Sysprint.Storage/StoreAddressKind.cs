namespace Sysprint.Storage;

/// <summary>What a store address (<c>--db</c>, <c>$SYSPRINT_DB</c>) looks like.</summary>
public enum StoreAddressKind
{
    /// <summary>A file path (SQLite).</summary>
    File,

    /// <summary>An address <c>scheme://...</c> (e.g. <c>postgres://user@host:5432/db</c>).</summary>
    Url,

    /// <summary>A connection string <c>Key=value;Key=value</c> (e.g. <c>Host=db;Database=sysprint</c>).</summary>
    ConnectionString,
}
