"""``python -m modgap_edu.data``: list, seed or download the course's data files (see ``liang_features.main``)."""

from modgap_edu.data.liang_features import main

raise SystemExit(main())
