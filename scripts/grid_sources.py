"""The sourced constants that ``build_grid_intensity.py`` applies to codecarbon's data.

Each figure or mapping carries its source beside it: the world average and its year, Google
Cloud's region data year, the documented locations of AWS and Azure regions (and the grid zone
each is placed on), the fossil-fuel factors codecarbon applies to Canadian provinces, and the unit
conversions. Kept apart from the build logic so a reviewer can check every figure in one place.
"""

from __future__ import annotations

#: Grams per international avoirdupois pound: exact by definition (International Yard and Pound
#: Agreement, 1959: 1 lb = 0.45359237 kg).
G_PER_LB = 453.59237

#: Gigawatt-hours per terawatt-hour: exact (SI prefixes).
GWH_PER_TWH = 1000.0

#: Google's page for its per-region figures.
GCP_SOURCE_URL = "https://cloud.google.com/sustainability/region-carbon"

#: Region ids misspelt in codecarbon's impact.csv → the provider's real id (the misspelling is
#: kept as an alias).
GCP_REGION_FIXES = {"me-cenrtal1": "me-central1"}

#: Google Cloud region → the grid zone it sits on. The most specific zone in this table that
#: contains the region's location (impact.csv's city/state): a US state, Canadian province,
#: Chinese province or Nordic bidding zone where the country is split, else the country.
#: asia-east2 (Hong Kong) is listed under CHN in impact.csv but Hong Kong has its own grid and
#: its own row (HKG).
GCP_GRID_ZONES = {
    "europe-north2": "SE3",  # Stockholm (Google 2024 file), bidding zone SE3
    "northamerica-south1": "MEX",  # Queretaro, Mexico
    "africa-south1": "ZAF", "asia-east1": "TWN", "asia-east2": "HKG", "asia-northeast1": "JPN",
    "asia-northeast2": "JPN", "asia-northeast3": "KOR", "asia-south1": "IND", "asia-south2": "IND",
    "asia-southeast1": "SGP", "asia-southeast2": "IDN", "australia-southeast1": "AUS",
    "australia-southeast2": "AUS", "europe-central2": "POL", "europe-north1": "FIN",
    "europe-southwest1": "ESP", "europe-west1": "BEL", "europe-west2": "GBR", "europe-west3": "DEU",
    "europe-west4": "NLD", "europe-west6": "CHE", "europe-west8": "ITA", "europe-west9": "FRA",
    "europe-west10": "DEU", "europe-west12": "ITA", "me-central1": "QAT", "me-central2": "SAU",
    "me-west1": "ISR", "northamerica-northeast1": "CA-QC", "northamerica-northeast2": "CA-ON",
    "southamerica-east1": "BRA", "southamerica-west1": "CHL",
    # US regions sit on the balancing area (Electricity Maps zone) that serves their documented
    # city, where one area serves it all; else on the state.
    "us-central1": "US-MIDW-MISO",  # Council Bluffs, Iowa: MidAmerican Energy, in MISO
    "us-central2": "US-CENT-SWPP",  # Pryor, Oklahoma: GRDA, in the Southwest Power Pool
    "us-east1": "US-CAR-SC",  # Moncks Corner, South Carolina: Santee Cooper's own area
    "us-east2": "US-SE-SOCO",  # Georgia: Georgia Power, in the Southern Company area
    "us-east4": "US-MIDA-PJM",  # Ashburn, Northern Virginia: Dominion, in PJM
    "us-east5": "US-MIDA-PJM",  # Columbus, Ohio: AEP Ohio, in PJM
    "us-south1": "US-TEX-ERCO",  # Dallas, Texas: ERCOT
    "us-west1": "US-NW-BPAT",  # The Dalles, Oregon: Northern Wasco PUD, in BPA's area
    "us-west2": "US-CA",  # Los Angeles, California: utility not documented, so the state
    "us-west3": "US-NW-PACE",  # Salt Lake City, Utah: Rocky Mountain Power (PacifiCorp East)
    "us-west4": "US-NW-NEVP",  # Las Vegas, Nevada: NV Energy
}

#: AWS and Azure publish no per-region grid intensity (codecarbon says as much and falls back to
#: the country). Region → (location as the provider documents it, grid zone), by the same rule
#: as GCP_GRID_ZONES. Locations: AWS "Regions and Availability Zones" documentation and
#: Microsoft Learn "Azure regions list" (physical location column).
AWS_LOCATION_SOURCE = (
    "AWS Regions and Availability Zones documentation (docs.aws.amazon.com/global-infrastructure)"
)
AWS_REGIONS = {
    # N. Virginia and Ohio lie wholly in PJM's balancing area; other US regions name only a
    # state served by several areas, so they stay on the state.
    "us-east-1": ("US East, N. Virginia", "US-MIDA-PJM"),
    "us-east-2": ("US East, Ohio", "US-MIDA-PJM"),
    "mx-central-1": ("Mexico, Central (Queretaro)", "MEX"),
    "us-west-1": ("US West, N. California", "US-CA"),
    "us-west-2": ("US West, Oregon", "US-OR"),
    "ca-central-1": ("Canada Central, Montreal", "CA-QC"),
    "ca-west-1": ("Canada West, Calgary", "CA-AB"),
    "sa-east-1": ("South America, Sao Paulo", "BRA"),
    "eu-west-1": ("Europe, Ireland", "IRL"),
    "eu-west-2": ("Europe, London", "GBR"),
    "eu-west-3": ("Europe, Paris", "FRA"),
    "eu-central-1": ("Europe, Frankfurt", "DEU"),
    "eu-central-2": ("Europe, Zurich", "CHE"),
    "eu-north-1": ("Europe, Stockholm", "SE3"),
    "eu-south-1": ("Europe, Milan", "ITA"),
    "eu-south-2": ("Europe, Spain (Aragon)", "ESP"),
    "af-south-1": ("Africa, Cape Town", "ZAF"),
    "me-south-1": ("Middle East, Bahrain", "BHR"),
    "me-central-1": ("Middle East, UAE", "ARE"),
    "il-central-1": ("Israel, Tel Aviv", "ISR"),
    "ap-east-1": ("Asia Pacific, Hong Kong", "HKG"),
    "ap-south-1": ("Asia Pacific, Mumbai", "IND"),
    "ap-south-2": ("Asia Pacific, Hyderabad", "IND"),
    "ap-northeast-1": ("Asia Pacific, Tokyo", "JPN"),
    "ap-northeast-2": ("Asia Pacific, Seoul", "KOR"),
    "ap-northeast-3": ("Asia Pacific, Osaka", "JPN"),
    "ap-southeast-1": ("Asia Pacific, Singapore", "SGP"),
    "ap-southeast-2": ("Asia Pacific, Sydney", "AUS"),
    "ap-southeast-3": ("Asia Pacific, Jakarta", "IDN"),
    "ap-southeast-4": ("Asia Pacific, Melbourne", "AUS"),
    "ap-southeast-5": ("Asia Pacific, Malaysia", "MYS"),
    "ap-southeast-7": ("Asia Pacific, Thailand", "THA"),
    "cn-north-1": ("China, Beijing", "CN-BJ"),
    "cn-northwest-1": ("China, Ningxia", "CN-NX"),
}
#: All 57 Azure locations below were checked again in December 2026 against the az CLI's
#: ``az account list-locations`` metadata (physicalLocation, latitude/longitude) and Microsoft's
#: Azure geographies table, both as copied into tal66/cloud-regions README.md (commit 12517d2;
#: files/result_azure.md at 2e5ea03): 46 regions by physicalLocation, the 11 opened since (Poland,
#: Italy, Spain, Israel, Mexico, New Zealand, Austria, Belgium, Chile, Indonesia, Malaysia) by the
#: geographies table's city. Every one agrees with the zone below; the coordinates also put
#: norwayeast at Oslo (NO1) and norwaywest at Stavanger (NO2). Microsoft Learn's regions list (as
#: stored, read for Australia, Austria, Belgium and Brazil) agrees too. westus3's physicalLocation
#: is Phoenix (Arizona). None was moved.
AZURE_LOCATION_SOURCE = (
    "Microsoft Learn, Azure regions list (learn.microsoft.com/azure/reliability/regions-list), "
    "checked against the az CLI's physicalLocation metadata as listed in tal66/cloud-regions "
    "(commit 12517d2)"
)
AZURE_REGIONS = {
    "eastus": ("East US, Virginia", "US-MIDA-PJM"),  # Virginia's data centres: PJM
    "eastus2": ("East US 2, Virginia", "US-MIDA-PJM"),
    "centralus": ("Central US, Iowa", "US-MIDW-MISO"),  # Des Moines: MidAmerican, in MISO
    "northcentralus": ("North Central US, Illinois", "US-MIDA-PJM"),  # Chicago: ComEd, in PJM
    "southcentralus": ("South Central US, Texas", "US-TEX-ERCO"),  # San Antonio: ERCOT
    "westus": ("West US, California", "US-CA"),
    "westus2": ("West US 2, Washington", "US-WA"),
    "westus3": ("West US 3, Arizona", "US-AZ"),
    "westcentralus": ("West Central US, Wyoming", "US-WY"),
    "canadacentral": ("Canada Central, Toronto", "CA-ON"),
    "canadaeast": ("Canada East, Quebec City", "CA-QC"),
    "brazilsouth": ("Brazil South, Sao Paulo State", "BRA"),
    "northeurope": ("North Europe, Ireland", "IRL"),
    "westeurope": ("West Europe, Netherlands", "NLD"),
    "uksouth": ("UK South, London", "GBR"),
    "ukwest": ("UK West, Cardiff", "GBR"),
    "francecentral": ("France Central, Paris", "FRA"),
    "germanywestcentral": ("Germany West Central, Frankfurt", "DEU"),
    "switzerlandnorth": ("Switzerland North, Zurich", "CHE"),
    "norwayeast": ("Norway East, Oslo", "NO1"),
    "swedencentral": ("Sweden Central, Gavle", "SWE"),  # bidding zone not stated: country
    "polandcentral": ("Poland Central, Warsaw", "POL"),
    "italynorth": ("Italy North, Milan", "ITA"),
    "spaincentral": ("Spain Central, Madrid", "ESP"),
    "eastasia": ("East Asia, Hong Kong", "HKG"),
    "southeastasia": ("Southeast Asia, Singapore", "SGP"),
    "japaneast": ("Japan East, Tokyo", "JPN"),
    "japanwest": ("Japan West, Osaka", "JPN"),
    "koreacentral": ("Korea Central, Seoul", "KOR"),
    "koreasouth": ("Korea South, Busan", "KOR"),
    "australiaeast": ("Australia East, New South Wales", "AUS"),
    "australiasoutheast": ("Australia Southeast, Victoria", "AUS"),
    "centralindia": ("Central India, Pune", "IND"),
    "southindia": ("South India, Chennai", "IND"),
    "southafricanorth": ("South Africa North, Johannesburg", "ZAF"),
    "uaenorth": ("UAE North, Dubai", "ARE"),
    "qatarcentral": ("Qatar Central, Doha", "QAT"),
    # Regions added December 2026 (Microsoft Learn regions list, physical location):
    "australiacentral": ("Australia Central, Canberra", "AUS"),
    "australiacentral2": ("Australia Central 2, Canberra", "AUS"),
    "francesouth": ("France South, Marseille", "FRA"),
    "germanynorth": ("Germany North, Berlin", "DEU"),
    "norwaywest": ("Norway West, Stavanger", "NO2"),
    "switzerlandwest": ("Switzerland West, Geneva", "CHE"),
    "uaecentral": ("UAE Central, Abu Dhabi", "ARE"),
    "southafricawest": ("South Africa West, Cape Town", "ZAF"),
    "westindia": ("West India, Mumbai", "IND"),
    "jioindiawest": ("Jio India West, Jamnagar", "IND"),
    "jioindiacentral": ("Jio India Central, Nagpur", "IND"),
    "brazilsoutheast": ("Brazil Southeast, Rio de Janeiro", "BRA"),
    "israelcentral": ("Israel Central, Israel", "ISR"),
    "mexicocentral": ("Mexico Central, Queretaro", "MEX"),
    "newzealandnorth": ("New Zealand North, Auckland", "NZL"),
    "austriaeast": ("Austria East, Vienna", "AUT"),
    "belgiumcentral": ("Belgium Central, Brussels", "BEL"),
    "chilecentral": ("Chile Central, Santiago", "CHL"),
    "indonesiacentral": ("Indonesia Central, Jakarta", "IDN"),
    "malaysiawest": ("Malaysia West, Kuala Lumpur", "MYS"),
}

#: Columns of global_energy_mix.json → keys of carbon_intensity_per_source.json, for the one
#: case where a country's ``carbon_intensity`` is 0 and is rebuilt from its generation mix.
#: ``fossil_TWh``, ``low_carbon_TWh`` and ``renewables_TWh`` are sums of these and left out.
MIX_FACTOR_KEYS = {
    "coal_TWh": "coal", "gas_TWh": "natural_gas", "oil_TWh": "petroleum",
    "hydroelectricity_TWh": "hydroelectricity", "nuclear_TWh": "nuclear", "solar_TWh": "solar",
    "wind_TWh": "wind", "biofuel_TWh": "biofuel",
}

#: ISO 3166-1 alpha-2 of the countries split into subregions here, for the ``US California``
#: style alias.
SUBREGION_PARENTS = {"USA": "US", "CAN": "CA", "CHN": "CN"}


# --- one basis: lifecycle (issue 10) -----------------------------------------------------------

#: Lifecycle emission factors per generation source, gCO2e per kWh generated: IPCC AR5 WG3
#: Annex III (Schlömer et al. 2014), Table A.III.2, median lifecycle values (coal PC 820, gas
#: combined cycle 490, biomass dedicated 230, geothermal 38, hydropower 24, nuclear 12, solar PV
#: utility 48 / rooftop 41 → 45 as the mean used by Electricity Maps, wind onshore 11, ocean
#: (tidal and wave) 17); oil 650 is not in AR5 and is the Electricity Maps default (citing
#: EIA/BEIS and UK POST); "other"/unknown 700 as Electricity Maps' config/defaults.yaml. This is
#: the factor set Electricity Maps publishes in config/defaults.yaml, and the basis of the
#: OWID/Ember country figures (Ember uses the same AR5 medians).
LIFECYCLE_G_PER_KWH = {
    "coal": 820.0, "gas": 490.0, "oil": 650.0, "nuclear": 12.0, "hydro": 24.0, "wind": 11.0,
    "solar": 45.0, "biomass": 230.0, "geothermal": 38.0, "ocean": 17.0, "other": 700.0,
}
#: Direct (combustion-only) factors, gCO2/kWh: IPCC AR5 WG3 Annex III Table A.III.2 direct
#: emissions (coal PC 760, gas combined cycle 370); oil 406 is the Electricity Maps direct default;
#: every non-combustion source, and biomass (biogenic CO2, counted 0 by the GHG Protocol), is 0.
DIRECT_G_PER_KWH = {
    "coal": 760.0, "gas": 370.0, "oil": 406.0, "nuclear": 0.0, "hydro": 0.0, "wind": 0.0,
    "solar": 0.0, "biomass": 0.0, "geothermal": 0.0, "ocean": 0.0, "other": 0.0,
}
FACTORS_SOURCE = (
    "IPCC AR5 WG3 Annex III (2014) Table A.III.2 median factors per source, as in Electricity "
    "Maps config/defaults.yaml (lifecycle: coal 820, gas 490, oil 650, nuclear 12, hydro 24, wind "
    "11, solar 45, biomass 230, geothermal 38, ocean 17, other 700; direct: coal 760, gas 370, "
    "oil 406, others 0)"
)

#: codecarbon's global_energy_mix.json columns → factor keys above.
COUNTRY_MIX_SOURCES = {
    "coal_TWh": "coal", "gas_TWh": "gas", "oil_TWh": "oil", "nuclear_TWh": "nuclear",
    "hydroelectricity_TWh": "hydro", "wind_TWh": "wind", "solar_TWh": "solar",
    "biofuel_TWh": "biomass", "other_renewable_exc_biofuel_TWh": "geothermal",
}
#: canada_energy_mix.json keys → factor keys above.
CANADA_MIX_SOURCES = {
    "coal": "coal", "naturalGas": "gas", "petroleum": "oil", "nuclear": "nuclear",
    "hydro": "hydro", "wind": "wind", "solar": "solar", "biomass": "biomass", "tidal": "ocean",
    "other": "other",
}

#: EIA's 2023 net generation per US state and energy source (utility-scale facilities, all
#: sectors, thousand MWh = GWh), vendored in data/grid_inputs/eia_state_generation_2023.csv; its
#: columns → factor keys above. Other gases (blast-furnace, coke-oven and refinery gas) and EIA's
#: "other" (non-biogenic waste, tire-derived fuel, purchased steam, batteries, …) have no AR5
#: median and take the "other"/unknown factor (700), as Electricity Maps does for unknown sources.
#: Pumped storage is a store, not a source, and is left out: the mix is the sum of these columns.
US_STATE_MIX_SOURCES = {
    "coal_gwh": "coal", "petroleum_liquids_gwh": "oil", "petroleum_coke_gwh": "oil",
    "natural_gas_gwh": "gas", "other_gases_gwh": "other", "nuclear_gwh": "nuclear",
    "hydroelectric_conventional_gwh": "hydro", "wind_gwh": "wind", "solar_utility_gwh": "solar",
    "geothermal_gwh": "geothermal", "biomass_gwh": "biomass", "other_gwh": "other",
}
#: The mix's sources may differ from EIA's all-fuels total by pumped storage's net generation
#: (negative: Virginia's Bath County makes it -1.6% of the total, Massachusetts -1.9%) and by
#: rounding; a larger gap means a column was lost in transcription, and the build stops.
US_STATE_MIX_TOLERANCE = 0.025
EIA_STATE_MIX_SOURCE = (
    "EIA Electric Power Annual 2023 / Electricity Data Browser, net generation for all sectors by "
    "state and energy source, 2023 (utility-scale, thousand MWh; Form EIA-923), as rendered in "
    "winstonhoyle/VineMapper projects/economics/Largest_Energy_Sources_By_State/FormatData.ipynb "
    "(commit ed54702), data/grid_inputs/eia_state_generation_2023.csv"
)

#: A country whose OWID figure is above this multiple of the lifecycle value its own generation
#: mix of the same year implies (the factors above) is flagged: a gas grid cannot be far above
#: ~490 g/kWh. The data audit (December 2026) found Turkmenistan, Uzbekistan, Bahrain and Brunei
#: at 1.6-2.7x; 1.55 keeps oil-and-gas Libya (1.53x) unflagged.
IMPLAUSIBLE_RATIO = 1.55
#: Generation under this (TWh a year) makes a country's figure a rounding artefact (Montserrat
#: and Saint Helena at 1000, Falklands at 500 on 0.01-0.02 TWh).
TINY_GENERATION_TWH = 0.05

#: A US state generating under this (TWh a year) is flagged: its figure describes a handful of
#: plants, not a grid, and says little about the electricity used there. 1 TWh is one ~115 MW
#: plant running all year (1 TWh / 8,760 h), and it falls in the gap between the District of
#: Columbia (0.17 TWh in EIA's 2023 figures) and the next smallest, Vermont (2.48 TWh). The
#: country rule above (TINY_GENERATION_TWH) does not fit: it catches OWID's 0.01-TWh rounding
#: steps, and EIA's state figures are in GWh.
SMALL_STATE_GENERATION_TWH = 1.0
#: A US state whose lifecycle figure is above this multiple of eGRID's combustion rate, with
#: biomass making at least half of the gap, is flagged as biomass-heavy: eGRID counts biogenic
#: CO2 as 0 and AR5 gives biomass 230 g/kWh, so the two figures part for a reason that is not an
#: error (Vermont, 2.5x in 2023).
BIOGENIC_RATIO = 2.0

#: Ember's yearly electricity data, latest year per country ("country_overview_yearly",
#: emissions_intensity_gco2_per_kwh: lifecycle gCO2e/kWh of generation, IPCC AR5 medians), as
#: copied into thegreenwebfoundation/co2.js data/output/average-intensities.json at commit
#: b459b5e (2025-08-03), trimmed to countries and World in data/grid_inputs/ember_yearly_latest.csv.
EMBER_SOURCE = (
    "Ember, Yearly Electricity Data (ember-energy.org; country_overview_yearly "
    "emissions_intensity_gco2_per_kwh, lifecycle gCO2e/kWh of generation, CC-BY-4.0) via "
    "thegreenwebfoundation/co2.js average-intensities.json (commit b459b5e, 2025-08-03), "
    "data/grid_inputs/ember_yearly_latest.csv"
)

#: Electricity Maps yearly averages for 2024 (lifecycle gCO2eq/kWh, consumption-based, i.e. with
#: imports flow-traced) of US balancing areas, as copied into thegreenwebfoundation/co2.js
#: data/output/electricity-maps/yearly_2024.json (commit df82c78, 2026-02-04), trimmed to the
#: areas cloud regions draw from in data/grid_inputs/electricitymaps_yearly_2024_us.csv.
ELECTRICITYMAPS_SOURCE = (
    "Electricity Maps yearly average carbon intensity 2024 (lifecycle gCO2eq/kWh, consumption-"
    "based; electricitymaps.com, ODbL) via thegreenwebfoundation/co2.js yearly_2024.json "
    "(commit df82c78, 2026-02-04), data/grid_inputs/electricitymaps_yearly_2024_us.csv"
)
#: Balancing area → the US state (ISO 3166-2) it is filed under here.
US_BALANCING_AREA_STATES = {
    "US-MIDA-PJM": "VA", "US-TEX-ERCO": "TX", "US-MIDW-MISO": "IA", "US-CAR-SC": "SC",
    "US-NW-BPAT": "OR", "US-CENT-SWPP": "OK", "US-SE-SOCO": "GA", "US-NW-PACE": "UT",
    "US-NW-NEVP": "NV",
}

#: Google's 2024 per-region figures: GoogleCloudPlatform/region-carbon-info data/yearly/2024.csv
#: (commit 49f3f26, 2025-12-03), vendored unchanged as data/grid_inputs/gcp_region_carbon_2024.csv.
#: Google defines its figure as the average hourly operational (direct) gross emissions per kWh
#: from the grid, a different basis from the annual lifecycle figures.
GCP_2024_SOURCE = (
    "Google Cloud region carbon data 2024 (GoogleCloudPlatform/region-carbon-info "
    "data/yearly/2024.csv, commit 49f3f26; hourly operational grid emissions), "
    "data/grid_inputs/gcp_region_carbon_2024.csv"
)
GCP_2024_YEAR = 2024
