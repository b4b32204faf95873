import Link from 'next/link';
import type { SessionUser } from '../session.ts';
import { allows } from '../roles.ts';
import { signOutAction } from '../actions/sign-out.ts';

/** The page frame for signed-in users: navigation, who is signed in, sign out. */
export function Shell({ user, active, children }: { user: SessionUser; active: string; children: React.ReactNode }) {
  const links = [
    ['/', 'Overview'],
    ['/switches', 'Switch board'],
    ['/fallbacks', 'Fallbacks'],
    ['/timeline', 'Timeline'],
    ['/charts', 'Charts'],
    ['/audit', 'Audit log'],
    ...(allows(user.role, 'admin') ? [['/users', 'Users']] : []),
  ];
  return (
    <>
      <header className="top">
        <span className="brand">◐ Brownout</span>
        <nav>
          {links.map(([href, label]) => (
            <Link key={href} href={href!} className={active === href ? 'active' : ''}>
              {label}
            </Link>
          ))}
        </nav>
        <span className="who">
          {user.email} <span className="role">{user.role}</span>
          <form action={signOutAction}>
            <button type="submit" className="link">
              Sign out
            </button>
          </form>
        </span>
      </header>
      <main>{children}</main>
    </>
  );
}
