using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Sysprint.Server.Console;

/// <summary>
/// The console's sign-in: after the admin token is given once, a session cookie
/// (<c>sysprint_session</c>, HttpOnly, SameSite=Strict, Secure over HTTPS) that carries its own
/// expiry, a random id and the name given at sign-in, signed with a key derived from the admin
/// token. Nothing is kept on the server, so any <c>serve</c> instance behind a load balancer
/// accepts it, and changing the admin token signs everybody out. Each session has a CSRF token
/// (an HMAC of its id) that every change made with the cookie must carry in <c>X-CSRF-Token</c>.
/// </summary>
internal sealed class ConsoleSession
{
    public const string CookieName = "sysprint_session";

    public const string CsrfHeader = "X-CSRF-Token";

    /// <summary>How long a sign-in lasts.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    private ConsoleSession(string id, string actor, DateTimeOffset expires)
    {
        Id = id;
        Actor = actor;
        Expires = expires;
    }

    /// <summary>The session's random id (hex).</summary>
    public string Id { get; }

    /// <summary>The name given at sign-in, recorded with every change made in this session.</summary>
    public string Actor { get; }

    public DateTimeOffset Expires { get; }

    /// <summary>The key that signs sessions: derived from the admin token's hash, never the hash itself.</summary>
    public static byte[] Key(byte[] adminTokenHash) =>
        HMACSHA256.HashData(adminTokenHash, "sysprint console session v1"u8);

    /// <summary>A new session for <paramref name="actor"/>, and its cookie value.</summary>
    public static (ConsoleSession Session, string Cookie) Create(byte[] key, string actor, DateTimeOffset now)
    {
        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        DateTimeOffset expires = now + Lifetime;
        string payload = string.Create(CultureInfo.InvariantCulture,
            $"v1|{expires.ToUnixTimeSeconds()}|{id}|{Base64Url(Encoding.UTF8.GetBytes(actor))}");
        string cookie = Base64Url(Encoding.UTF8.GetBytes(payload)) + "." + Base64Url(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(payload)));
        return (new ConsoleSession(id, actor, expires), cookie);
    }

    /// <summary>The session a cookie value carries, or null when it is malformed, forged or expired.</summary>
    public static ConsoleSession? Read(byte[] key, string? cookie, DateTimeOffset now)
    {
        if (cookie is null || cookie.Length > 2048)
        {
            return null;
        }

        int dot = cookie.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || !TryBase64Url(cookie[..dot], out byte[] payloadBytes) || !TryBase64Url(cookie[(dot + 1)..], out byte[] mac)
            || !CryptographicOperations.FixedTimeEquals(mac, HMACSHA256.HashData(key, payloadBytes)))
        {
            return null;
        }

        string[] parts = Encoding.UTF8.GetString(payloadBytes).Split('|');
        if (parts.Length != 4 || parts[0] != "v1" || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long expiresUnix)
            || !TryBase64Url(parts[3], out byte[] actor))
        {
            return null;
        }

        DateTimeOffset expires = DateTimeOffset.FromUnixTimeSeconds(expiresUnix);
        return expires <= now ? null : new ConsoleSession(parts[2], Encoding.UTF8.GetString(actor), expires);
    }

    /// <summary>The CSRF token of this session.</summary>
    public string CsrfToken(byte[] key) => Base64Url(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes("csrf|" + Id)));

    /// <summary>True when <paramref name="token"/> is this session's CSRF token (compared in constant time).</summary>
    public bool IsCsrfToken(byte[] key, string? token) =>
        token is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(CsrfToken(key)));

    /// <summary>The cookie's attributes: HttpOnly, SameSite=Strict, the whole site, Secure over HTTPS.</summary>
    public static CookieOptions CookieOptions(HttpRequest request, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = request.IsHttps,
        Path = "/",
        Expires = expires,
        IsEssential = true,
    };

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryBase64Url(string text, out byte[] bytes)
    {
        string padded = text.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", _ => "" };
        bytes = new byte[padded.Length];
        if (Convert.TryFromBase64String(padded, bytes, out int written))
        {
            bytes = bytes[..written];
            return true;
        }

        bytes = [];
        return false;
    }
}
