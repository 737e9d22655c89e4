import { Link } from '../router.tsx';
import { useTitle } from '../title.ts';

export function NotFoundPage({ pathname }: { pathname: string }) {
  useTitle('Not found');
  return (
    <>
      <h1>Page not found</h1>
      <p>
        Nothing lives at <code>{pathname}</code>. Try the <Link to="/catalog">catalog</Link>.
      </p>
    </>
  );
}
