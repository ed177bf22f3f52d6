using System.Text.RegularExpressions;

namespace Sysprint.Storage;

/// <summary>
/// Where a store lives, as the user wrote it: a file path, an address <c>scheme://...</c> or a
/// connection string <c>Key=value;...</c>. Which backend opens it is decided by
/// <see cref="StoreBackends"/>; this type only tells the three forms apart.
/// </summary>
public sealed partial record StoreAddress
{
    private StoreAddress(string text, StoreAddressKind kind, string? scheme)
    {
        Text = text;
        Kind = kind;
        Scheme = scheme;
    }

    /// <summary>The address exactly as given (it may hold a password: print <see cref="Redacted"/>).</summary>
    public string Text { get; }

    public StoreAddressKind Kind { get; }

    /// <summary>The scheme of a <see cref="StoreAddressKind.Url"/>, lower-cased (<c>postgres</c>); null otherwise.</summary>
    public string? Scheme { get; }

    /// <summary>The address with any password replaced by <c>***</c>, for messages and listings.</summary>
    public string Redacted => Kind switch
    {
        StoreAddressKind.Url => UrlPassword().Replace(Text, "$1***@", 1),
        StoreAddressKind.ConnectionString => ConnectionPassword().Replace(Text, "$1***"),
        _ => Text,
    };

    /// <summary>
    /// Tells the form of <paramref name="text"/>: <c>scheme://</c> first (RFC 3986 scheme
    /// characters), then <c>Key=value;...</c> (a key of letters and spaces, no path separator
    /// before the first <c>=</c>, at least one <c>;</c>), else a file path.
    /// </summary>
    public static StoreAddress Parse(string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        Match url = UrlScheme().Match(text);
        if (url.Success)
        {
            return new StoreAddress(text, StoreAddressKind.Url, url.Groups[1].Value.ToLowerInvariant());
        }

        if (ConnectionStringStart().IsMatch(text) && text.Contains(';', StringComparison.Ordinal))
        {
            return new StoreAddress(text, StoreAddressKind.ConnectionString, null);
        }

        return new StoreAddress(text, StoreAddressKind.File, null);
    }

    /// <summary>The value of <paramref name="key"/> in a connection string (case-insensitive), or null.</summary>
    public string? ConnectionStringValue(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (Kind != StoreAddressKind.ConnectionString)
        {
            return null;
        }

        foreach (string part in Text.Split(';'))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && part[..eq].Trim().Equals(key, StringComparison.OrdinalIgnoreCase))
            {
                return part[(eq + 1)..].Trim();
            }
        }

        return null;
    }

    public override string ToString() => Redacted;

    [GeneratedRegex(@"^([A-Za-z][A-Za-z0-9+.\-]*)://", RegexOptions.CultureInvariant)]
    private static partial Regex UrlScheme();

    [GeneratedRegex(@"^\s*[A-Za-z][A-Za-z ]*=", RegexOptions.CultureInvariant)]
    private static partial Regex ConnectionStringStart();

    [GeneratedRegex(@"^([A-Za-z][A-Za-z0-9+.\-]*://[^:/@]*:)[^@/]*@", RegexOptions.CultureInvariant)]
    private static partial Regex UrlPassword();

    [GeneratedRegex(@"((?:^|;)\s*(?:Password|Pwd)\s*=)[^;]*", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex ConnectionPassword();
}
