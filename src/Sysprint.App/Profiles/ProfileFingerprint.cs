using Sysprint.Model;
using Sysprint.Storage;

namespace Sysprint.App.Profiles;

/// <summary>A profile with its fingerprint, as <c>show</c> prints it.</summary>
public sealed record ProfileFingerprint(ProfileInfo Info, Fingerprint Fingerprint);
