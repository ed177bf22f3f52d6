using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Sysprint.Server.Console;

/// <summary>
/// The console's pages: <c>/login</c> (the admin token, and a name recorded with changes),
/// <c>/logout</c>, the pages themselves (<c>/</c>, <c>/alerts</c>, <c>/alerts/{seq}</c>,
/// <c>/hosts</c>, <c>/hosts/{name}</c>, <c>/fingerprints</c>, <c>/fingerprints/{name}</c>: one
/// HTML shell whose scripts draw each page from the JSON API) and their files under
/// <c>/static/</c>. Every response carries a Content-Security-Policy that allows scripts from this
/// site's files only (no inline script, no other origin) and forbids framing.
/// </summary>
internal static class ConsolePages
{
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>The paths that show the console's shell (a signed-in browser only).</summary>
    private static readonly string[] s_pages = ["/", "/alerts", "/alerts/{seq:long}", "/hosts", "/hosts/{name}", "/fingerprints", "/fingerprints/{name}", "/learning"];

    /// <summary>
    /// Adds the security headers to every response of the server (the API's too), and
    /// <c>Server-Timing: app;dur=MS</c>: the time the server took until the response started
    /// (what bench/console measures).
    /// </summary>
    public static void UseSecurityHeaders(IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        long started = Stopwatch.GetTimestamp();
        context.Response.OnStarting(() =>
        {
            context.Response.Headers["Server-Timing"] = string.Create(CultureInfo.InvariantCulture,
                $"app;dur={Stopwatch.GetElapsedTime(started).TotalMilliseconds:0.0}");
            return Task.CompletedTask;
        });
        IHeaderDictionary headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        // same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on POSTs, which the CSRF check must refuse.
        headers["Referrer-Policy"] = "same-origin";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        await next(context).ConfigureAwait(false);
    });

    public static void Map(IEndpointRouteBuilder app, ServeOptions options, TimeProvider clock)
    {
        foreach (string page in s_pages)
        {
            app.MapGet(page, (HttpContext context) =>
            {
                if (Session(context, options, clock) is null)
                {
                    return Results.Redirect("/login", permanent: false);
                }

                return Asset(context, "index.html", noStore: true);
            });
        }

        app.MapGet("/static/{*file}", (string file, HttpContext context) => Asset(context, file, noStore: false));

        app.MapGet("/login", (HttpContext context) =>
            options.AdminTokenHash is null
                ? LoginPage("The console is off: start serve with --admin-token-file.", StatusCodes.Status503ServiceUnavailable)
                : LoginPage(null, StatusCodes.Status200OK));

        app.MapPost("/login", async (HttpContext context) =>
        {
            if (options.AdminTokenHash is not { } tokenHash)
            {
                return LoginPage("The console is off: start serve with --admin-token-file.", StatusCodes.Status503ServiceUnavailable);
            }

            if (!AdminAuthorization.SameOrigin(context.Request) || !context.Request.HasFormContentType)
            {
                return LoginPage("Sign in from this page.", StatusCodes.Status403Forbidden);
            }

            IFormCollection form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
            string token = form["token"].FirstOrDefault()?.Trim() ?? "";
            string name = form["name"].FirstOrDefault()?.Trim() ?? "";
            if (!AdminAuthorization.IsAdminToken(token, tokenHash))
            {
                return LoginPage("Wrong admin token.", StatusCodes.Status401Unauthorized);
            }

            string actor = name.Length is > 0 and <= 64 ? Diagnostics.Printable.Escape(name) : "admin";
            var (session, cookie) = ConsoleSession.Create(ConsoleSession.Key(tokenHash), actor, clock.GetUtcNow());
            context.Response.Cookies.Append(ConsoleSession.CookieName, cookie, ConsoleSession.CookieOptions(context.Request, session.Expires));
            return Results.Redirect("/", permanent: false);
        });

        app.MapPost("/logout", (HttpContext context) =>
        {
            ConsoleSession? session = Session(context, options, clock);
            if (session is not null
                && (!AdminAuthorization.SameOrigin(context.Request)
                    || !session.IsCsrfToken(ConsoleSession.Key(options.AdminTokenHash!), context.Request.Headers[ConsoleSession.CsrfHeader])))
            {
                return ApiJson.Error(StatusCodes.Status403Forbidden, $"missing or wrong {ConsoleSession.CsrfHeader}");
            }

            context.Response.Cookies.Delete(ConsoleSession.CookieName, ConsoleSession.CookieOptions(context.Request, null));
            return ApiJson.Ok(new JsonObject { ["signed_out"] = true });
        });
    }

    private static ConsoleSession? Session(HttpContext context, ServeOptions options, TimeProvider clock) =>
        options.AdminTokenHash is { } hash
            ? ConsoleSession.Read(ConsoleSession.Key(hash), context.Request.Cookies[ConsoleSession.CookieName], clock.GetUtcNow())
            : null;

    private static IResult Asset(HttpContext context, string name, bool noStore)
    {
        ConsoleAssets.Asset? asset = ConsoleAssets.Find(name);
        if (asset is null)
        {
            return ApiJson.Error(StatusCodes.Status404NotFound, $"no such file: /static/{Diagnostics.Printable.Escape(name)}");
        }

        IHeaderDictionary headers = context.Response.Headers;
        headers.CacheControl = noStore ? "no-store" : "no-cache";
        headers.ETag = asset.ETag;
        if (!noStore && context.Request.Headers.IfNoneMatch.ToString() == asset.ETag)
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        return Results.Bytes(asset.Bytes, asset.ContentType);
    }

    /// <summary>The sign-in page, with a message when there is one (HTML-encoded into the page: no script).</summary>
    private static IResult LoginPage(string? message, int status)
    {
        string html = Encoding.UTF8.GetString(ConsoleAssets.Find("login.html")!.Bytes)
            .Replace("<!--message-->", message is null ? "" : $"<p class=\"error\" role=\"alert\" id=\"login-error\">{WebUtility.HtmlEncode(message)}</p>", StringComparison.Ordinal);
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }
}
