import { configure } from "@testing-library/react";

// waitFor and findBy* wait for a condition, not for a schedule: on a loaded machine (CI beside other
// work) a page may take seconds to settle, so they wait up to 10 s rather than testing-library's 1 s.
configure({ asyncUtilTimeout: 10_000 });
