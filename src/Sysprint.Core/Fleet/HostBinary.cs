namespace Sysprint.Fleet;

/// <summary>The binary a host last ran a program as, traced by <c>run</c> or <c>attach</c> and recorded centrally.</summary>
/// <param name="Sha256">Its SHA-256, lowercase hex.</param>
/// <param name="Seen">When that check was recorded.</param>
public sealed record HostBinary(string Host, string Sha256, string? Path, DateTimeOffset Seen);
