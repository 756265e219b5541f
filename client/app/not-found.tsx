import { Link } from "react-router";
import { useBrand } from "./brand";

export function NotFound() {
  const brand = useBrand();
  return (
    <main className="mx-auto max-w-lg p-10 text-center">
      <p className="text-sm font-semibold text-brand-700">404</p>
      <h1 className="mt-1 text-2xl font-semibold">This page does not exist</h1>
      <p className="mt-2 text-slate-600">Check the address, or start again from your usage.</p>
      <Link to="/" className="mt-6 inline-block rounded-lg bg-brand-600 px-4 py-2 text-sm font-medium text-white hover:bg-brand-700">Go to {brand.name}</Link>
    </main>
  );
}
