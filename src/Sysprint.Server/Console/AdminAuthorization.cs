using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Sysprint.Server.Console;

/// <summary>
/// Who may call the admin API: a script with <c>Authorization: Bearer ADMIN_TOKEN</c>, or the
/// console signed in with that token (its session cookie). A change (any method but GET and HEAD)
/// made with the cookie must also carry the session's CSRF token in <c>X-CSRF-Token</c> and, when
/// the browser sends an <c>Origin</c>, come from this very site. The actor recorded with changes is
/// the name given at sign-in, or <c>admin token</c> for scripts (or their <c>"by"</c> member).
/// </summary>
internal static class AdminAuthorization
{
    /// <summary>The actor of the request, in <see cref="HttpContext.Items"/>.</summary>
    public const string ActorItem = "sysprint.actor";

    /// <summary>The actor of requests made with the bearer token.</summary>
    public const string TokenActor = "admin token";

    /// <exception cref="BadRequestException">401 without a valid token or session; 403 for a change without the CSRF token or from another origin.</exception>
    public static void Authorize(HttpContext context, byte[]? tokenHash, TimeProvider clock)
    {
        HttpRequest request = context.Request;
        if (tokenHash is null)
        {
            throw new BadRequestException("the admin API is off: start serve with --admin-token-file", StatusCodes.Status401Unauthorized);
        }

        string? token = HostAuthentication.Bearer(request);
        if (token is not null)
        {
            if (!IsAdminToken(token, tokenHash))
            {
                throw new BadRequestException("expected Authorization: Bearer ADMIN_TOKEN", StatusCodes.Status401Unauthorized);
            }

            context.Items[ActorItem] = TokenActor;
            return;
        }

        byte[] key = ConsoleSession.Key(tokenHash);
        ConsoleSession session = ConsoleSession.Read(key, request.Cookies[ConsoleSession.CookieName], clock.GetUtcNow())
            ?? throw new BadRequestException("expected Authorization: Bearer ADMIN_TOKEN", StatusCodes.Status401Unauthorized);
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            if (!SameOrigin(request))
            {
                throw new BadRequestException("a change must come from this console's own pages (Origin differs)", StatusCodes.Status403Forbidden);
            }

            if (!session.IsCsrfToken(key, request.Headers[ConsoleSession.CsrfHeader]))
            {
                throw new BadRequestException($"missing or wrong {ConsoleSession.CsrfHeader}: reload the console and try again", StatusCodes.Status403Forbidden);
            }
        }

        context.Items[ActorItem] = session.Actor;
        context.Items[nameof(ConsoleSession)] = session;
    }

    /// <summary>The admin token, compared in constant time through its hash.</summary>
    public static bool IsAdminToken(string token, byte[] tokenHash) =>
        token.Length <= 1024 && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(token)), tokenHash);

    /// <summary>The request's actor, set by <see cref="Authorize"/>.</summary>
    public static string Actor(HttpContext context) => context.Items[ActorItem] as string ?? TokenActor;

    /// <summary>True when the request has no <c>Origin</c> (not a browser's cross-site form) or names this very site.</summary>
    public static bool SameOrigin(HttpRequest request)
    {
        string? origin = request.Headers.Origin;
        return string.IsNullOrEmpty(origin)
            || string.Equals(origin, $"{request.Scheme}://{request.Host.Value}", StringComparison.OrdinalIgnoreCase);
    }
}
