namespace Sysprint.Storage;

/// <summary>Which alerts to list: newest first, at most <see cref="Limit"/>, each filter applied when set (exact match).</summary>
public sealed record AlertQuery
{
    public string? Vm { get; init; }

    public string? Host { get; init; }

    public string? Profile { get; init; }

    /// <summary>Only alerts at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }

    public int Limit { get; init; } = 50;
}
